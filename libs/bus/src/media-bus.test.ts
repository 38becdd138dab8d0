/** One contract, two buses: the in-process one and NATS/JetStream (real server, unique prefix). */
import { afterAll, describe, expect, it } from 'vitest';
import { natsUrl, uniquePrefix, until } from '../../../test/support/services.js';
import type { EventEnvelope } from './event-envelope.js';
import type { FrameEnvelope } from './frame-envelope.js';
import type { MediaBus, PendingBusEvent } from './media-bus.js';
import { MemoryMediaBus } from './memory-media-bus.js';
import { NatsMediaBus } from './nats-media-bus.js';
import { InvalidSubjectToken } from './subjects.js';

const frame = (sequence: number, over: Partial<FrameEnvelope> = {}): FrameEnvelope => ({
  streamKind: 'live', sim: '013800138000', channel: 1, codec: 'h264', mediaKind: 'video', keyFrame: sequence % 25 === 0,
  timestamp: sequence * 40, sequence, connectionId: 'conn-1', streamPath: 'live/jt1078-013800138000-1',
  data: Uint8Array.from({ length: 100 + (sequence % 7) }, (_, i) => (i * 31 + sequence) & 0xff),
  ...over,
});

const event = (id: string, action: 'join' | 'leave' = 'join'): EventEnvelope => ({
  id, type: 'realtime', action, streamKey: 'live/jt1078-013800138000-1', occurredAt: 1,
  body: { streamPath: 'live/jt1078-013800138000-1', sim: '013800138000', channel: 1, startTime: '2025-07-13 18:58:15' },
});

const strip = (f: FrameEnvelope) => ({ ...f, data: Buffer.from(f.data).toString('base64') });

interface Harness {
  readonly name: string;
  make(): Promise<MediaBus>;
}

const buses: MediaBus[] = [];
afterAll(async () => {
  for (const b of buses) {
    if (b instanceof NatsMediaBus) await b.deleteStreams();
    await b.close();
  }
});

const HARNESSES: Harness[] = [
  { name: 'MemoryMediaBus', make: async () => new MemoryMediaBus({ ackWaitMs: 300 }) },
  { name: 'NatsMediaBus', make: async () => NatsMediaBus.connect({ url: await natsUrl(), root: uniquePrefix('bus'), windowMs: 30_000, eventAckWaitMs: 1000 }) },
];

for (const h of HARNESSES) {
  describe(`${h.name} contract`, () => {
    const fresh = async () => {
      const b = await h.make();
      buses.push(b);
      return b;
    };

    it('delivers frames in order with every field intact, by exact and wildcard filters', async () => {
      const bus = await fresh();
      const exact: FrameEnvelope[] = [];
      const any: FrameEnvelope[] = [];
      await bus.subscribeFrames({ streamKind: 'live', sim: '013800138000', channel: 1 }, (f) => exact.push(f));
      await bus.subscribeFrames({ streamKind: 'live' }, (f) => any.push(f));
      const sent = Array.from({ length: 50 }, (_, i) => frame(i));
      const other = frame(0, { sim: '013800138001', streamPath: 'live/jt1078-013800138001-1' });
      for (const f of sent) bus.publishFrame(f);
      bus.publishFrame(other);
      await until(() => exact.length === 50 && any.length === 51, 5000, 'frames');
      expect(exact.map(strip)).toEqual(sent.map(strip));
      expect(any.map((f) => f.sim)).toContain('013800138001');
    });

    it('replays the retained window to a late subscriber, then continues live with no gap or duplicate', async () => {
      const bus = await fresh();
      for (let i = 0; i < 30; i++) bus.publishFrame(frame(i, { sim: '013800000002' }));
      // Let the window capture them (JetStream stores asynchronously to core publish).
      await new Promise((r) => setTimeout(r, 300));
      const got: number[] = [];
      await bus.subscribeFrames({ streamKind: 'live', sim: '013800000002', channel: 1 }, (f) => got.push(f.sequence), { fromWindow: true });
      for (let i = 30; i < 40; i++) bus.publishFrame(frame(i, { sim: '013800000002' }));
      await until(() => got.length >= 40, 5000, 'window + live frames');
      await new Promise((r) => setTimeout(r, 100));
      expect(got).toEqual(Array.from({ length: 40 }, (_, i) => i));
    });

    it('carries a 3 MB frame intact', async () => {
      const bus = await fresh();
      const big = frame(0, { sim: '013800000003', data: Uint8Array.from({ length: 3 * 1024 * 1024 }, (_, i) => (i * 7) & 0xff) });
      const got: FrameEnvelope[] = [];
      await bus.subscribeFrames({ streamKind: 'live', sim: '013800000003', channel: 1 }, (f) => got.push(f));
      bus.publishFrame(big);
      await until(() => got.length === 1, 10_000, 'big frame');
      expect(Buffer.compare(Buffer.from(got[0]!.data), Buffer.from(big.data))).toBe(0);
      expect(bus.stats.framesDropped).toBe(0);
    });

    it('keeps events until acknowledged: a consumer that dies without acking hands them on', async () => {
      const bus = await fresh();
      const durable = uniquePrefix('wh');
      await bus.publishEvent(event('e1'));
      await bus.publishEvent(event('e1')); // the same id twice is one event
      await bus.publishEvent(event('e2', 'leave'));
      const first: PendingBusEvent[] = [];
      const stop = await bus.consumeEvents(durable, (p) => first.push(p));
      await until(() => first.length >= 2, 5000, 'first delivery');
      expect(first.map((p) => p.event.id)).toEqual(['e1', 'e2']);
      expect(first[0]!.order).toBeLessThan(first[1]!.order);
      await first[0]!.ack();
      stop(); // "crash" holding e2
      const second: PendingBusEvent[] = [];
      await bus.consumeEvents(durable, (p) => second.push(p));
      await until(() => second.some((p) => p.event.id === 'e2'), 10_000, 'redelivery');
      const e2 = second.find((p) => p.event.id === 'e2')!;
      expect(e2.deliveryCount).toBeGreaterThan(1);
      expect(e2.event).toEqual(event('e2', 'leave'));
      expect(second.some((p) => p.event.id === 'e1')).toBe(false);
      await e2.ack();
    }, 20_000);

    it('refuses a SIM or channel that is not digits before it reaches a subject', async () => {
      const bus = await fresh();
      expect(() => bus.publishFrame(frame(0, { sim: '0138.>' }))).toThrow(InvalidSubjectToken);
      await expect(bus.subscribeFrames({ streamKind: 'live', sim: '*' }, () => {})).rejects.toThrow(InvalidSubjectToken);
    });
  });
}
