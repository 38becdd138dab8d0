/**
 * `overtime_second` (m7s-jt1078): a stream that had viewers and then had none for that long is
 * closed (its leave emitted); a stream nobody watched is left alone. Viewers are what a packager
 * announces on the bus while players request the stream.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryMediaBus, type EventEnvelope } from '@jt1078/bus';
import { readCapture } from '@jt1078/jt1078';
import { parseConfig } from '@jt1078/runtime/config';
import { silentLogger } from '@jt1078/runtime/logger';
import { createMetricsRegistry } from '@jt1078/runtime/metrics';
import { MemoryStreamRegistry } from '@jt1078/store';
import { IngestService } from '@jt1078/svc-ingest';
import { LiveStreamPool } from '@jt1078/svc-packager';
import { CaptureReplay, SimulatedDevice, loadCapturePackets } from '@jt1078/svc-simulator';
import { G711_CAPTURE, sharedTestdataAvailable } from '../libs/jt1078/src/testdata/generate-captures.js';
import { until } from './support/services.js';

describe.runIf(sharedTestdataAvailable())('overtime_second', () => {
  const bus = new MemoryMediaBus();
  const registry = new MemoryStreamRegistry();
  const { config } = parseConfig(`jt1078:\n  realtime: { addr: '127.0.0.1:0', overtime_second: 3 }\n  playback: { addr: '127.0.0.1:0' }\n`, 'test');
  const service = new IngestService({ config, bus, registry, metricsRegistry: createMetricsRegistry({ defaultMetrics: false }), log: silentLogger(), pod: 'pod-o' });
  const pool = new LiveStreamPool({ bus, log: silentLogger(), partMs: 500, segmentMs: 2000, announceAs: 'packager-o' });
  const devices: SimulatedDevice[] = [];
  const events: EventEnvelope[] = [];

  afterAll(async () => {
    for (const d of devices) d.stop();
    pool.close();
    await service.close();
    await bus.close();
  });

  it('closes a watched stream once its viewers are gone, and leaves an unwatched one alone', async () => {
    await service.start();
    await bus.consumeEvents('overtime', (p) => {
      events.push(p.event);
      void p.ack().catch(() => undefined); // a test's teardown can delete the stream under an ack in flight
    });
    const capture = loadCapturePackets(readCapture(G711_CAPTURE));
    for (const sim of ['013800000041', '013800000042']) {
      const d = new SimulatedDevice({ host: '127.0.0.1', port: service.server.addresses().live.tcp, reconnect: false, replay: new CaptureReplay(capture, { sim, loop: true }) });
      devices.push(d);
      void d.start();
    }
    await until(() => events.filter((e) => e.action === 'join').length === 2, 10_000, 'both joins');

    // A player watches the first stream for 3 s (requests keep it in the packager's pool).
    const watched = { streamPath: 'live/jt1078-013800000041-1', kind: 'live' as const, sim: '013800000041', channel: 1 };
    const watchUntil = Date.now() + 3000;
    while (Date.now() < watchUntil) {
      await pool.acquire(watched);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(events.some((e) => e.action === 'leave')).toBe(false);

    // Nobody watches any more: within the notice period (2 s) + overtime_second (3 s) + a check, it closes.
    await until(() => events.some((e) => e.action === 'leave' && e.body['sim'] === '013800000041'), 10_000, 'the watched stream to close');
    await new Promise((r) => setTimeout(r, 1500));
    expect(events.some((e) => e.action === 'leave' && e.body['sim'] === '013800000042')).toBe(false);
    expect(service.server.liveStreams().map((s) => s.streamPath)).toEqual(['live/jt1078-013800000042-1']);
  }, 30_000);
});
