/**
 * Bad devices beside a good one: a connection spewing garbage, one sending garbage between real
 * packets, and a half-open one that stops mid-header. Each is counted and closed or
 * resynchronised; the healthy stream beside them loses no frame.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsMediaBus, type FrameEnvelope } from '@jt1078/bus';
import { FrameAssembler, StreamDemuxer, readCapture, type AssembledFrame } from '@jt1078/jt1078';
import { parseConfig } from '@jt1078/runtime/config';
import { silentLogger } from '@jt1078/runtime/logger';
import { createMetricsRegistry, type Registry } from '@jt1078/runtime/metrics';
import { RedisStreamRegistry } from '@jt1078/store';
import { IngestService } from '@jt1078/svc-ingest';
import { CaptureReplay, SimulatedDevice, loadCapturePackets } from '@jt1078/svc-simulator';
import { G711_CAPTURE, sharedTestdataAvailable } from '../libs/jt1078/src/testdata/generate-captures.js';
import { natsUrl, redisUrl, uniquePrefix, until } from './support/services.js';

async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as Array<{ value: number; labels: Record<string, string | number> }>;
  return values.filter((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]).startsWith(l))).reduce((n, v) => n + v.value, 0);
}

describe.runIf(sharedTestdataAvailable())('ingest with misbehaving devices', () => {
  const root = uniquePrefix('faults');
  let bus: NatsMediaBus;
  let registry: RedisStreamRegistry;
  let service: IngestService;
  let metrics: Registry;
  let expected: AssembledFrame[];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    const { config } = parseConfig(`jt1078:\n  realtime: { addr: '127.0.0.1:0' }\n  playback: { addr: '127.0.0.1:0' }\ncluster:\n  ingest: { idle_timeout_second: 1 }\n`, 'test');
    bus = await NatsMediaBus.connect({ url: await natsUrl(), root });
    registry = new RedisStreamRegistry(await redisUrl(), root);
    metrics = createMetricsRegistry({ defaultMetrics: false });
    service = new IngestService({ config, bus, registry, metricsRegistry: metrics, log: silentLogger(), pod: 'pod-faults' });
    await service.start();
    expected = [];
    const a = new FrameAssembler();
    const d = new StreamDemuxer({ onPacket: (p) => expected.push(...a.push(p)) });
    d.push(readCapture(G711_CAPTURE));
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await service?.close();
    await bus?.deleteStreams();
    await bus?.close();
    await registry?.clear();
    await registry?.close();
  });

  function open(): Promise<Socket> {
    return new Promise((resolve) => {
      const s = tcpConnect({ host: '127.0.0.1', port: service.server.addresses().live.tcp }, () => resolve(s));
      s.on('error', () => {});
      sockets.push(s);
    });
  }

  it('closes garbage and half-open links, resynchronises a noisy device, and the healthy stream loses nothing', async () => {
    const healthy: FrameEnvelope[] = [];
    await bus.subscribeFrames({ streamKind: 'live', sim: '013800000021', channel: 1 }, (f) => healthy.push(f));
    const noisy: FrameEnvelope[] = [];
    await bus.subscribeFrames({ streamKind: 'live', sim: '013800000022', channel: 1 }, (f) => noisy.push(f));

    // 1. Pure garbage: 200 KB of random bytes with no packet in it.
    const garbage = await open();
    const junk = Buffer.alloc(200 * 1024);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) % 251 === 0x30 ? 0x31 : (i * 7919 + 13) % 251;
    garbage.write(junk);
    const garbageClosed = new Promise<void>((r) => garbage.once('close', () => r()));

    // 2. Half-open: the first 10 bytes of a header, then silence.
    const halfOpen = await open();
    halfOpen.write(readCapture(G711_CAPTURE).subarray(0, 10));
    const halfOpenClosed = new Promise<void>((r) => halfOpen.once('close', () => r()));

    // 3. A noisy device: its packets with 37 bytes of garbage between every tenth one.
    const capture = loadCapturePackets(readCapture(G711_CAPTURE));
    const replay = new CaptureReplay(capture, { sim: '013800000022', loop: false });
    const noisySocket = await open();
    const chunks: Buffer[] = [];
    for (let step = replay.next(), i = 0; step; step = replay.next(), i++) {
      chunks.push(Buffer.from(step.bytes));
      if (i % 10 === 9) chunks.push(Buffer.alloc(37, 0x5a));
    }
    noisySocket.write(Buffer.concat(chunks));

    // 4. The healthy device beside them.
    const device = new SimulatedDevice({
      host: '127.0.0.1', port: service.server.addresses().live.tcp, speed: 10, reconnect: false,
      replay: new CaptureReplay(capture, { sim: '013800000021', loop: false }),
    });
    await device.start();

    await until(() => healthy.length === expected.length, 15_000, 'every healthy frame');
    await Promise.all([garbageClosed, halfOpenClosed]);
    await until(() => noisy.length === expected.length, 5000, 'every noisy frame');

    expect(healthy.map((f) => Buffer.from(f.data).toString('base64'))).toEqual(expected.map((f) => Buffer.from(f.data).toString('base64')));
    expect(noisy).toHaveLength(expected.length);
    expect(await metricValue(metrics, 'jt1078_ingest_faults_total', { fault: 'garbage' })).toBeGreaterThanOrEqual(Math.floor(540 / 10));
    // The garbage link, and the half-open one whose 10 bytes never became a packet.
    expect(await metricValue(metrics, 'jt1078_ingest_faults_total', { fault: 'revision-unknown' })).toBe(2);
    expect(await metricValue(metrics, 'jt1078_ingest_connections_closed_total', { reason: 'idle' })).toBeGreaterThanOrEqual(1);
    expect(await metricValue(metrics, 'jt1078_ingest_connections_closed_total', { reason: 'not-jt1078' })).toBe(1);
  }, 30_000);
});
