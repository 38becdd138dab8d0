/**
 * The ingest through a NATS restart and a Redis restart, on servers this test owns (never the
 * shared ones): frames flow again within 5 s of NATS coming back, nothing crashes, and after
 * Redis loses everything the live streams re-register, so a new connection for the same SIM
 * gets a suffixed name rather than a duplicate.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsMediaBus } from '@jt1078/bus';
import { readCapture } from '@jt1078/jt1078';
import { parseConfig } from '@jt1078/runtime/config';
import { silentLogger } from '@jt1078/runtime/logger';
import { createMetricsRegistry } from '@jt1078/runtime/metrics';
import { RedisStreamRegistry } from '@jt1078/store';
import { IngestService } from '@jt1078/svc-ingest';
import { CaptureReplay, SimulatedDevice, loadCapturePackets } from '@jt1078/svc-simulator';
import { G711_CAPTURE, sharedTestdataAvailable } from '../libs/jt1078/src/testdata/generate-captures.js';
import { freePort, until } from './support/services.js';

function startServer(cmd: string, args: string[]): ChildProcess {
  const c = spawn(cmd, args, { stdio: 'ignore' });
  c.on('error', (err) => {
    throw new Error(`${cmd} could not start (${err.message}): install it (apt-get install nats-server redis-server)`);
  });
  return c;
}

describe.runIf(sharedTestdataAvailable())('ingest through NATS and Redis restarts', () => {
  let natsPort = 0;
  let redisPort = 0;
  let storeDir = '';
  let nats: ChildProcess;
  let redis: ChildProcess;
  let bus: NatsMediaBus;
  let registry: RedisStreamRegistry;
  let service: IngestService;
  let watcher: NatsConnection;
  const devices: SimulatedDevice[] = [];
  let frames = 0;

  const startNats = () => (nats = startServer('nats-server', ['-a', '127.0.0.1', '-p', String(natsPort), '-js', '-sd', storeDir]));
  const startRedis = () => (redis = startServer('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']));

  beforeAll(async () => {
    natsPort = await freePort();
    redisPort = await freePort();
    storeDir = mkdtempSync(path.join(tmpdir(), 'nats-store-'));
    startNats();
    startRedis();
    const { config } = parseConfig(`jt1078:\n  realtime: { addr: '127.0.0.1:0' }\n  playback: { addr: '127.0.0.1:0' }\ncluster:\n  ingest: { registry_ttl_second: 3 }\n`, 'test');
    await until(async () => {
      try {
        bus = await NatsMediaBus.connect({ url: `nats://127.0.0.1:${natsPort}` });
        return true;
      } catch {
        return false;
      }
    }, 10_000, 'own nats-server');
    registry = new RedisStreamRegistry(`redis://127.0.0.1:${redisPort}`, 'restarts');
    service = new IngestService({ config, bus, registry, metricsRegistry: createMetricsRegistry({ defaultMetrics: false }), log: silentLogger(), pod: 'pod-r' });
    await service.start();
    watcher = await connect({ servers: `nats://127.0.0.1:${natsPort}`, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
    watcher.subscribe('jt1078.media.>', { callback: () => void frames++ });
    const capture = loadCapturePackets(readCapture(G711_CAPTURE));
    const d = new SimulatedDevice({ host: '127.0.0.1', port: service.server.addresses().live.tcp, replay: new CaptureReplay(capture, { sim: '013800000031', loop: true }) });
    devices.push(d);
    void d.start();
  });

  afterAll(async () => {
    for (const d of devices) d.stop();
    await service?.close();
    await watcher?.close();
    await bus?.close();
    await registry?.close();
    nats?.kill('SIGKILL');
    redis?.kill('SIGKILL');
  });

  it('frames flow again within 5 s of NATS coming back', async () => {
    await until(() => frames > 50, 10_000, 'frames before the restart');
    nats.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 1000));
    startNats();
    const restartedAt = Date.now();
    const before = frames;
    await until(() => frames > before + 25, 5000, 'frames after the restart');
    expect(Date.now() - restartedAt).toBeLessThanOrEqual(5000);
  }, 30_000);

  it('re-registers live streams after Redis loses everything: no duplicate name', async () => {
    await until(async () => (await registry.list()).some((e) => e.sim === '013800000031'), 10_000, 'registered');
    redis.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    startRedis();
    // The next heartbeats (every ttl/3 = 1 s) put the entry back.
    await until(async () => {
      try {
        return (await registry.list()).some((e) => e.name === 'live/jt1078-013800000031-1');
      } catch {
        return false;
      }
    }, 10_000, 'stream re-registered');
    const second = new SimulatedDevice({
      host: '127.0.0.1', port: service.server.addresses().live.tcp,
      replay: new CaptureReplay(loadCapturePackets(readCapture(G711_CAPTURE)), { sim: '013800000031', loop: true }),
    });
    devices.push(second);
    void second.start();
    await until(async () => (await registry.list()).filter((e) => e.sim === '013800000031').length === 2, 10_000, 'second stream');
    const names = (await registry.list()).filter((e) => e.sim === '013800000031').map((e) => e.name).sort();
    expect(names[0]).toBe('live/jt1078-013800000031-1');
    expect(names[1]).toMatch(/^live\/jt1078-013800000031-1-\d{13}$/);
  }, 30_000);
});
