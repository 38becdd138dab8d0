/**
 * Joins and leaves made while NATS is down are not lost: an ingest (in process, on a private
 * nats-server that the test stops and starts; the shared server is never touched) takes devices
 * that connect, stream and leave during a 5 s and a 60 s outage. Once NATS is back, every join
 * and every leave is in JetStream. The outbox's bound and its SIGTERM drain are counted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventOutbox, NatsMediaBus, OutboxFull, type EventEnvelope } from '@jt1078/bus';
import { readCapture } from '@jt1078/jt1078';
import { parseConfig } from '@jt1078/runtime/config';
import { silentLogger } from '@jt1078/runtime/logger';
import { createMetricsRegistry } from '@jt1078/runtime/metrics';
import { RedisStreamRegistry } from '@jt1078/store';
import { IngestService } from '@jt1078/svc-ingest';
import { CaptureReplay, SimulatedDevice, loadCapturePackets } from '@jt1078/svc-simulator';
import { G711_CAPTURE, sharedTestdataAvailable } from '../libs/jt1078/src/testdata/generate-captures.js';
import { redisUrl, startNatsServer, uniquePrefix, until, type LocalServer } from './support/services.js';

describe.runIf(sharedTestdataAvailable())('events through a NATS outage', () => {
  const root = uniquePrefix('outage');
  let server: LocalServer;
  let bus: NatsMediaBus;
  let registry: RedisStreamRegistry;
  let service: IngestService;
  const stored = new Map<string, EventEnvelope>();
  const capture = loadCapturePackets(readCapture(G711_CAPTURE));

  beforeAll(async () => {
    server = await startNatsServer();
    const { config } = parseConfig(`jt1078:\n  realtime: { addr: '127.0.0.1:0' }\n  playback: { addr: '127.0.0.1:0' }\n`, 'test');
    bus = await NatsMediaBus.connect({ url: server.url, root });
    registry = new RedisStreamRegistry(await redisUrl(), root);
    service = new IngestService({ config, bus, registry, metricsRegistry: createMetricsRegistry({ defaultMetrics: false }), log: silentLogger(), pod: 'pod-outage' });
    await service.start();
    await bus.consumeEvents(uniquePrefix('wh'), (p) => {
      stored.set(`${p.event.body['sim'] as string}/${p.event.action}`, p.event);
      void p.ack().catch(() => undefined); // a test's teardown can delete the stream under an ack in flight
    });
  }, 30_000);

  afterAll(async () => {
    await service?.close();
    await bus?.deleteStreams().catch(() => undefined);
    await bus?.close();
    await registry?.clear();
    await registry?.close();
    await server?.stop();
  });

  /** Devices that each connect, stream the capture and leave while NATS is down. */
  async function streamWhileDown(sims: string[], outageMs: number): Promise<void> {
    await server.stop();
    const started = Date.now();
    await Promise.all(sims.map((sim) => new SimulatedDevice({
      host: '127.0.0.1', port: service.server.addresses().live.tcp, speed: 20, reconnect: false,
      replay: new CaptureReplay(capture, { sim, loop: false }),
    }).start()));
    // Every stream has ended (its leave taken by the outbox) before NATS comes back.
    await until(() => service.server.connectionCount === 0, 15_000, 'devices gone');
    expect(service.outbox.pending).toBe(sims.length * 2);
    const left = outageMs - (Date.now() - started);
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    await server.start();
  }

  for (const [label, outageMs, sims] of [['5 s', 5_000, ['013800005001', '013800005002', '013800005003']], ['60 s', 60_000, ['013800060001', '013800060002']]] as const) {
    it(`delivers every join and leave made during a ${label} outage once NATS returns`, async () => {
      await streamWhileDown([...sims], outageMs);
      await until(() => sims.every((sim) => stored.has(`${sim}/join`) && stored.has(`${sim}/leave`)), 30_000, `every join and leave stored (have ${[...stored.keys()].join(', ')})`);
      expect(service.outbox.pending).toBe(0);
      expect(service.outbox.stats.lost).toEqual({ 'outbox-full': 0, shutdown: 0 });
      expect(service.outbox.stats.retries).toBeGreaterThan(0);
      for (const sim of sims) expect(stored.get(`${sim}/leave`)!.body['endTime']).toEqual(expect.any(String));
    }, outageMs + 60_000);
  }

  it('refuses events past its bound and counts what a drain cannot store', async () => {
    await server.stop();
    const outbox = new EventOutbox({ bus, maxEvents: 3, retryMinMs: 50, retryMaxMs: 100 });
    const event = (i: number): EventEnvelope => ({ id: `${root}-bound-${i}`, type: 'realtime', action: 'join', streamKey: `k${i}`, body: { i }, occurredAt: Date.now() });
    for (let i = 0; i < 3; i++) await outbox.publishEvent(event(i));
    await expect(outbox.publishEvent(event(3))).rejects.toBeInstanceOf(OutboxFull);
    expect(outbox.stats.lost['outbox-full']).toBe(1);
    const drained = await outbox.drain(300);
    expect(drained).toEqual({ stored: 0, lost: 3 });
    expect(outbox.stats.lost.shutdown).toBe(3);
    expect(outbox.pending).toBe(0);
    await server.start();
  }, 30_000);
});
