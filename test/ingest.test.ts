/**
 * A real capture replayed over TCP (and UDP) through the ingest reaches a plain NATS subscriber
 * frame for frame, byte-identical to the demuxed capture, with the DESIGN.md headers; join and
 * leave events land in JetStream with the m7s-jt1078 bodies.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsMediaBus, type PendingBusEvent } from '@jt1078/bus';
import { FrameAssembler, StreamDemuxer, readCapture, type AssembledFrame } from '@jt1078/jt1078';
import { parseConfig } from '@jt1078/runtime/config';
import { silentLogger } from '@jt1078/runtime/logger';
import { createMetricsRegistry } from '@jt1078/runtime/metrics';
import { RedisStreamRegistry } from '@jt1078/store';
import { IngestService } from '@jt1078/svc-ingest';
import { CaptureReplay, SimulatedDevice, loadCapturePackets } from '@jt1078/svc-simulator';
import { G711_CAPTURE, sharedTestdataAvailable } from '../libs/jt1078/src/testdata/generate-captures.js';
import { natsUrl, redisUrl, uniquePrefix, until } from './support/services.js';

interface Received {
  readonly subject: string;
  readonly headers: Record<string, string>;
  readonly data: Uint8Array;
}

describe.runIf(sharedTestdataAvailable())('ingest → NATS with a real capture', () => {
  const root = uniquePrefix('ingest');
  let bus: NatsMediaBus;
  let registry: RedisStreamRegistry;
  let service: IngestService;
  let nc: NatsConnection;
  let expected: AssembledFrame[];
  const received: Received[] = [];
  const events: PendingBusEvent[] = [];

  beforeAll(async () => {
    const { config } = parseConfig(`jt1078:\n  realtime: { addr: '127.0.0.1:0' }\n  playback: { addr: '127.0.0.1:0' }\n`, 'test');
    bus = await NatsMediaBus.connect({ url: await natsUrl(), root, eventAckWaitMs: 2000 });
    registry = new RedisStreamRegistry(await redisUrl(), root);
    service = new IngestService({ config, bus, registry, metricsRegistry: createMetricsRegistry({ defaultMetrics: false }), log: silentLogger(), pod: 'pod-test' });
    await service.start();
    // A plain nats.js client, not our bus: headers are readable without our code.
    nc = await connect({ servers: await natsUrl() });
    nc.subscribe(`${root}.media.>`, {
      callback: (_err, msg) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of msg.headers ?? []) headers[k] = v[0] ?? '';
        received.push({ subject: msg.subject, headers, data: msg.data });
      },
    });
    await nc.flush();
    await bus.consumeEvents(uniquePrefix('events'), (p) => {
      events.push(p);
      void p.ack().catch(() => undefined); // a test's teardown can delete the stream under an ack in flight
    });
    expected = [];
    const a = new FrameAssembler();
    const d = new StreamDemuxer({ onPacket: (p) => expected.push(...a.push(p)) });
    d.push(readCapture(G711_CAPTURE));
    d.end();
  });

  afterAll(async () => {
    await service?.close();
    await nc?.close();
    await bus?.deleteStreams();
    await bus?.close();
    await registry?.clear();
    await registry?.close();
  });

  async function replay(transport: 'tcp' | 'udp', sim: string): Promise<Received[]> {
    const before = received.length;
    const ports = service.server.addresses().live;
    const device = new SimulatedDevice({
      host: '127.0.0.1',
      port: transport === 'tcp' ? ports.tcp : ports.udp,
      transport,
      speed: 20,
      reconnect: false,
      replay: new CaptureReplay(loadCapturePackets(readCapture(G711_CAPTURE)), { sim, loop: false }),
    });
    await device.start();
    await until(() => received.length - before >= expected.length, 15_000, `${expected.length} frames over ${transport}`);
    return received.slice(before).filter((r) => r.subject === `${root}.media.live.${sim}.1`);
  }

  for (const [transport, sim] of [['tcp', '013800000011'], ['udp', '013800000012']] as const) {
    it(`delivers every frame, byte-identical, with its headers (${transport.toUpperCase()})`, async () => {
      const got = await replay(transport, sim);
      expect(got).toHaveLength(expected.length);
      got.forEach((r, i) => {
        const f = expected[i]!;
        expect(Buffer.compare(Buffer.from(r.data), Buffer.from(f.data)), `frame ${i}`).toBe(0);
        expect(r.headers['Jt1078-Codec']).toBe(f.codec);
        expect(r.headers['Jt1078-Media']).toBe(f.kind);
        expect(r.headers['Jt1078-Key']).toBe(f.keyFrame ? '1' : '0');
        expect(r.headers['Jt1078-Seq']).toBe(String(i));
        expect(r.headers['Jt1078-Stream']).toBe(`live/jt1078-${sim}-1`);
        expect(r.headers['Nats-Msg-Id']).toBe(`${r.headers['Jt1078-Conn']}-${sim}-1-${i}`);
      });
      // Realtime streams are timed by arrival: monotonic per track.
      for (const media of ['video', 'audio']) {
        const ts = got.filter((r) => r.headers['Jt1078-Media'] === media).map((r) => Number(r.headers['Jt1078-Ts']));
        for (let i = 1; i < ts.length; i++) expect(ts[i]!).toBeGreaterThan(ts[i - 1]!);
      }
    });
  }

  it('stored a join and, after the TCP device hung up, a leave with the m7s-jt1078 bodies', async () => {
    await until(() => events.some((e) => e.event.action === 'leave' && e.event.body['sim'] === '013800000011'), 10_000, 'leave event');
    const mine = events.filter((e) => e.event.body['sim'] === '013800000011').map((e) => e.event);
    expect(mine.map((e) => e.action)).toEqual(['join', 'leave']);
    const [join, leave] = mine;
    expect(Object.keys(join!.body).sort()).toEqual(['channel', 'sim', 'startTime', 'streamPath']);
    expect(join!.body).toMatchObject({ streamPath: 'live/jt1078-013800000011-1', sim: '013800000011', channel: 1 });
    expect(join!.body['startTime']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(leave!.body).toMatchObject({ ...join!.body, endTime: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/) });
    expect(join!.type).toBe('realtime');
    expect(await registry.list()).toEqual(expect.not.arrayContaining([expect.objectContaining({ sim: '013800000011' })]));
  });
});
