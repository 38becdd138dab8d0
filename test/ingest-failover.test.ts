/**
 * Two ingest processes behind a TCP round-robin, 50 simulated devices. `kill -9` one ingest:
 * its devices, reconnecting through the round-robin, are live on the other ingest again under
 * their original names (the dead pod's liveness key lapses, the names are taken over), every
 * stream it held gets exactly one leave event (emitted by the taker, before its join), frames
 * flow and the numbering goes on from the cursor written at the last segment mark.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsMediaBus, type EventEnvelope, type FrameEnvelope } from '@jt1078/bus';
import { readCapture } from '@jt1078/jt1078';
import { RedisStreamRegistry } from '@jt1078/store';
import { CaptureReplay, SimulatedDevice, deviceSims, loadCapturePackets } from '@jt1078/svc-simulator';
import { G711_CAPTURE, sharedTestdataAvailable } from '../libs/jt1078/src/testdata/generate-captures.js';
import { freePort, natsUrl, redisUrl, uniquePrefix, until } from './support/services.js';
import { TcpRoundRobin } from './support/tcp-round-robin.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const TTL_SECONDS = 3;
const DEVICES = 50;

describe.runIf(sharedTestdataAvailable())('ingest failover', () => {
  const root = uniquePrefix('failover');
  const ingests = new Map<string, ChildProcess>();
  const ports = new Map<string, number>();
  let proxy: TcpRoundRobin;
  let bus: NatsMediaBus;
  let registry: RedisStreamRegistry;
  const devices: SimulatedDevice[] = [];
  const events: EventEnvelope[] = [];
  const lastFrameAt = new Map<string, number>();

  async function startIngest(pod: string): Promise<void> {
    const dir = mkdtempSync(path.join(tmpdir(), `${pod}-`));
    const port = ports.get(pod)!;
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, [
      'jt1078:',
      `  realtime: { addr: '127.0.0.1:${port}' }`,
      `  playback: { addr: '127.0.0.1:${await freePort()}' }`,
      'cluster:',
      `  http: { addr: '127.0.0.1:${await freePort()}' }`,
      `  nats: { subject_root: ${root} }`,
      `  pod: { name: ${pod} }`,
      `  ingest: { registry_ttl_second: ${TTL_SECONDS}, drain_grace_second: 0 }`,
    ].join('\n'));
    const child = spawn(process.execPath, [path.join(ROOT, 'services/all-in-one/bin/jt1078.js'), 'ingest', '--config', config], {
      env: { ...process.env, NATS_URL: await natsUrl(), REDIS_URL: await redisUrl() },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr!.on('data', (d: Buffer) => (log += d));
    ingests.set(pod, child);
    await until(() => log.includes('ingest ready'), 20_000, () => `${pod} ready; log:\n${log}`);
  }

  beforeAll(async () => {
    bus = await NatsMediaBus.connect({ url: await natsUrl(), root });
    registry = new RedisStreamRegistry(await redisUrl(), root);
    ports.set('ingest-a', await freePort());
    ports.set('ingest-b', await freePort());
    await startIngest('ingest-a');
    await startIngest('ingest-b');
    proxy = new TcpRoundRobin([...ports.values()].map((port) => ({ host: '127.0.0.1', port })));
    const proxyPort = await proxy.listen();
    await bus.consumeEvents(uniquePrefix('ev'), (p) => {
      events.push(p.event);
      void p.ack().catch(() => undefined); // a test's teardown can delete the stream under an ack in flight
    });
    await bus.subscribeFrames({ streamKind: 'live' }, (f: FrameEnvelope) => lastFrameAt.set(f.sim, Date.now()));
    const capture = loadCapturePackets(readCapture(G711_CAPTURE));
    for (const sim of deviceSims('013800000100', DEVICES)) {
      const d = new SimulatedDevice({ host: '127.0.0.1', port: proxyPort, replay: new CaptureReplay(capture, { sim, loop: true }) });
      devices.push(d);
      void d.start();
    }
  });

  afterAll(async () => {
    for (const d of devices) d.stop();
    for (const c of ingests.values()) c.kill('SIGKILL');
    proxy?.close();
    await bus?.deleteStreams();
    await bus?.close();
    await registry?.clear();
    await registry?.close();
  });

  it('reaps the dead pod\'s streams with exactly one leave each, and its devices come back on the other pod', async () => {
    await until(async () => (await registry.list()).length === DEVICES, 15_000, 'every device live');
    const before = await registry.list();
    const onA = before.filter((e) => e.pod === 'ingest-a');
    expect(onA.length).toBeGreaterThan(10);
    expect(before.filter((e) => e.pod === 'ingest-b').length).toBeGreaterThan(10);

    const killedAt = Date.now();
    ingests.get('ingest-a')!.kill('SIGKILL');

    // Every stream ingest-a held is live again on ingest-b under its original name.
    await until(async () => {
      const now = await registry.list();
      return onA.every((e) => now.some((n) => n.name === e.name && n.pod === 'ingest-b'));
    }, 15_000, 'original names back on ingest-b');
    console.log(`${onA.length} streams back under their original names ${Date.now() - killedAt} ms after kill -9 (pod liveness TTL 1.5 s)`);
    expect((await registry.list()).filter((e) => e.name.match(/-\d{13}$/))).toEqual([]);

    // Exactly one leave per connection ingest-a held, emitted by the taker before its join.
    await until(() => onA.every((e) => events.some((ev) => ev.action === 'leave' && ev.streamKey === e.name)), (TTL_SECONDS + 5) * 1000, 'leaves for the dead pod\'s streams');
    expect(Date.now() - killedAt).toBeLessThanOrEqual((TTL_SECONDS + 5) * 1000);
    await new Promise((r) => setTimeout(r, (TTL_SECONDS + 1) * 1000)); // a reaper would have emitted a second one by now
    for (const e of onA) {
      const leaves = events.filter((ev) => ev.action === 'leave' && ev.streamKey === e.name && ev.id.startsWith(`${e.connectionId}.`));
      expect(leaves, e.name).toHaveLength(1);
      expect(leaves[0]!.body).toMatchObject({ ...e.joinBody, endTime: expect.any(String) });
    }

    // Its devices reconnect through the round-robin to ingest-b: new joins, frames flowing.
    const simsOnA = new Set(onA.map((e) => e.sim));
    await until(async () => {
      const now = await registry.list();
      return [...simsOnA].every((sim) => now.some((e) => e.sim === sim && e.pod === 'ingest-b'));
    }, 15_000, 'devices live again on ingest-b');
    const rejoinedAfter = Date.now();
    await until(() => [...simsOnA].every((sim) => (lastFrameAt.get(sim) ?? 0) > rejoinedAfter), 10_000, 'frames from every moved device');
    // Events travel through JetStream on their own path: the taker's join may land after its frames.
    const joinsOf = (sim: string): number => events.filter((ev) => ev.action === 'join' && ev.body['sim'] === sim).length;
    await until(() => [...simsOnA].every((sim) => joinsOf(sim) >= 2), 10_000,
      () => `a second join for every moved device; short: ${[...simsOnA].filter((sim) => joinsOf(sim) < 2).join(', ')}`);
    for (const sim of simsOnA) expect(joinsOf(sim), sim).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
