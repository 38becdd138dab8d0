/**
 * The MediaBus contract, one suite for every adapter (media-bus.test.ts runs it against the
 * in-process bus and against NATS/JetStream on a real server). Whatever a service relies on is
 * asserted here, so embedded mode and a cluster cannot drift apart.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { DropReason } from './bus-stats.js';
import type { EventEnvelope } from './event-envelope.js';
import type { FrameEnvelope } from './frame-envelope.js';
import { WindowNeedsOneStream, type MediaBus, type PendingBusEvent } from './media-bus.js';
import { InvalidSubjectToken } from './subjects.js';
import type { TalkAudio } from './talk-envelope.js';
import type { ViewerNotice } from './viewer-notice.js';

export interface MediaBusHarness {
  readonly name: string;
  /** A bus isolated from every other test (its own subject root on a shared server). */
  make(): Promise<MediaBus>;
  /** Removes what `make` created (streams); called before close, and also for a bus a test closed itself. */
  dispose?(bus: MediaBus): Promise<void>;
  /** The bus's ack wait for events: a crashed consumer's events come back after it. */
  readonly ackWaitMs: number;
  /** How long to wait after publishing before relying on the window (0: the publisher keeps it as it publishes). */
  readonly windowSettleMs: number;
}

export const SIM = '013800138000';

export function testFrame(sequence: number, over: Partial<FrameEnvelope> = {}): FrameEnvelope {
  const sim = over.sim ?? SIM;
  const channel = over.channel ?? 1;
  return {
    streamKind: 'live', sim, channel, codec: 'h264', mediaKind: 'video', keyFrame: sequence % 25 === 0,
    timestamp: sequence * 40, sequence, connectionId: 'conn-1', streamPath: `live/jt1078-${sim}-${channel}`,
    data: Uint8Array.from({ length: 100 + (sequence % 7) }, (_, i) => (i * 31 + sequence) & 0xff),
    ...over,
  };
}

export function testEvent(id: string, action: 'join' | 'leave' = 'join', streamKey = `live/jt1078-${SIM}-1`): EventEnvelope {
  return {
    id, type: 'realtime', action, streamKey, occurredAt: 1_752_404_295_000,
    body: { streamPath: streamKey, sim: SIM, channel: 1, startTime: '2025-07-13 18:58:15', ...(action === 'leave' ? { endTime: '2025-07-13 18:59:15' } : {}) },
  };
}

/** Frames compared field by field with the bytes as hex (toEqual on Uint8Array vs Buffer is type-sensitive). */
export const comparable = (f: FrameEnvelope) => ({ ...f, data: Buffer.from(f.data).toString('hex') });

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function mediaBusContract(h: MediaBusHarness): void {
  describe(`${h.name} (MediaBus contract)`, () => {
    const made: MediaBus[] = [];
    afterAll(async () => {
      for (const b of made) {
        await h.dispose?.(b);
        await b.close();
      }
    });
    const fresh = async () => {
      const b = await h.make();
      made.push(b);
      return b;
    };

    it('delivers frames in order with every field byte-identical, to exact and wildcard filters', async () => {
      const bus = await fresh();
      const exact: FrameEnvelope[] = [];
      const anySim: FrameEnvelope[] = [];
      const anyChannel: FrameEnvelope[] = [];
      const playback: FrameEnvelope[] = [];
      await bus.subscribeFrames({ streamKind: 'live', sim: SIM, channel: 1 }, (f) => exact.push(f));
      await bus.subscribeFrames({ streamKind: 'live' }, (f) => anySim.push(f));
      await bus.subscribeFrames({ streamKind: 'live', sim: SIM }, (f) => anyChannel.push(f));
      await bus.subscribeFrames({ streamKind: 'playback' }, (f) => playback.push(f));
      const sent = Array.from({ length: 50 }, (_, i) => testFrame(i, { mediaKind: i % 3 === 0 ? 'audio' : 'video', codec: i % 3 === 0 ? 'g711a' : 'h264' }));
      const otherSim = testFrame(0, { sim: '013800138001' });
      const otherChannel = testFrame(0, { channel: 2, connectionId: 'conn-2' });
      const pb = testFrame(7, { streamKind: 'playback', streamPath: `live/jt1079-${SIM}-1` });
      for (const f of sent) bus.publishFrame(f);
      bus.publishFrame(otherSim);
      bus.publishFrame(otherChannel);
      bus.publishFrame(pb);
      await waitFor(() => exact.length === 50 && anySim.length === 52 && anyChannel.length === 51 && playback.length === 1, 5000, 'frames');
      await sleep(50);
      expect(exact.map(comparable)).toEqual(sent.map(comparable));
      expect(anySim.filter((f) => f.sim === otherSim.sim).map(comparable)).toEqual([comparable(otherSim)]);
      expect(anyChannel.filter((f) => f.channel === 2).map(comparable)).toEqual([comparable(otherChannel)]);
      expect(playback.map(comparable)).toEqual([comparable(pb)]);
      expect(bus.stats.framesPublished).toBe(53);
      expect(bus.stats.bytesPublished).toBe([...sent, otherSim, otherChannel, pb].reduce((n, f) => n + f.data.length, 0));
      expect(bus.stats.framesDropped).toBe(0);
    });

    it('replays the retained window to a late subscriber, then continues live with no gap or duplicate', async () => {
      const bus = await fresh();
      const sim = '013800000002';
      for (let i = 0; i < 30; i++) bus.publishFrame(testFrame(i, { sim }));
      await sleep(h.windowSettleMs);
      const got: FrameEnvelope[] = [];
      await bus.subscribeFrames({ streamKind: 'live', sim, channel: 1 }, (f) => got.push(f), { fromWindow: true });
      expect(got.map((f) => f.sequence)).toEqual(Array.from({ length: 30 }, (_, i) => i));
      for (let i = 30; i < 40; i++) bus.publishFrame(testFrame(i, { sim }));
      await waitFor(() => got.length >= 40, 5000, 'window + live frames');
      await sleep(100);
      expect(got.map(comparable)).toEqual(Array.from({ length: 40 }, (_, i) => comparable(testFrame(i, { sim }))));
    });

    it('joins window and live seamlessly while frames are being published during the subscribe', async () => {
      const bus = await fresh();
      const sim = '013800000004';
      let next = 0;
      const publisher = setInterval(() => {
        for (let k = 0; k < 5; k++) bus.publishFrame(testFrame(next++, { sim }));
      }, 2);
      try {
        await sleep(h.windowSettleMs);
        const got: number[] = [];
        await bus.subscribeFrames({ streamKind: 'live', sim, channel: 1 }, (f) => got.push(f.sequence), { fromWindow: true });
        await sleep(150);
        clearInterval(publisher);
        const last = next - 1;
        await waitFor(() => got.at(-1) === last, 5000, `frame ${last}`);
        await sleep(50);
        expect(got).toEqual(Array.from({ length: last + 1 }, (_, i) => i));
      } finally {
        clearInterval(publisher);
      }
    });

    it('replays a window from its first segment mark, each stream its own, and refuses a wildcard window', async () => {
      const bus = await fresh();
      for (let i = 0; i < 10; i++) {
        bus.publishFrame(testFrame(i, { sim: '013800000005', ...(i === 3 || i === 7 ? { segment: i } : {}) }));
        bus.publishFrame(testFrame(i, { sim: '013800000006', connectionId: 'conn-6' }));
      }
      await sleep(h.windowSettleMs);
      const marked: FrameEnvelope[] = [];
      await bus.subscribeFrames({ streamKind: 'live', sim: '013800000005', channel: 1 }, (f) => marked.push(f), { fromWindow: true });
      expect(marked.map((f) => f.sequence)).toEqual([3, 4, 5, 6, 7, 8, 9]);
      expect(marked[0]!.segment).toBe(3);
      const unmarked: FrameEnvelope[] = [];
      await bus.subscribeFrames({ streamKind: 'live', sim: '013800000006', channel: 1 }, (f) => unmarked.push(f), { fromWindow: true });
      expect(unmarked.map((f) => f.sequence)).toEqual(Array.from({ length: 10 }, (_, i) => i));
      await expect(bus.subscribeFrames({ streamKind: 'live' }, () => {}, { fromWindow: true })).rejects.toBeInstanceOf(WindowNeedsOneStream);
    });

    it('has no window for a stream nobody publishes: the subscription goes live at once', async () => {
      const bus = await fresh();
      const sim = '013800000007';
      const got: number[] = [];
      await bus.subscribeFrames({ streamKind: 'live', sim, channel: 1 }, (f) => got.push(f.sequence), { fromWindow: true });
      expect(got).toEqual([]);
      bus.publishFrame(testFrame(0, { sim, segment: 0 }));
      await waitFor(() => got.length === 1, 5000, 'live frame');
    });

    it('carries a 3 MB frame intact, live and from the window, without dropping anything', async () => {
      const bus = await fresh();
      const sim = '013800000003';
      const big = testFrame(0, { sim, keyFrame: true, data: new Uint8Array(randomBytes(3 * 1024 * 1024)) });
      const small = testFrame(1, { sim });
      const live: FrameEnvelope[] = [];
      await bus.subscribeFrames({ streamKind: 'live', sim, channel: 1 }, (f) => live.push(f));
      bus.publishFrame(big);
      bus.publishFrame(small);
      await waitFor(() => live.length === 2, 10_000, 'big frame');
      expect(live.map(comparable)).toEqual([comparable(big), comparable(small)]);
      await sleep(h.windowSettleMs);
      const replay: FrameEnvelope[] = [];
      await bus.subscribeFrames({ streamKind: 'live', sim, channel: 1 }, (f) => replay.push(f), { fromWindow: true });
      expect(replay.map(comparable)).toEqual([comparable(big), comparable(small)]);
      expect(bus.stats.framesDropped).toBe(0);
      expect(bus.stats.framesPublished).toBe(2);
    });

    it('keeps events until acknowledged: a consumer that dies without acking hands them on', async () => {
      const bus = await fresh();
      const durable = `wh${randomBytes(4).toString('hex')}`;
      await bus.publishEvent(testEvent('e1'));
      await bus.publishEvent(testEvent('e1')); // the same id twice is one event
      await bus.publishEvent(testEvent('e2', 'leave'));
      const first: PendingBusEvent[] = [];
      const crash = await bus.consumeEvents(durable, (p) => first.push(p));
      await waitFor(() => first.length >= 2, 5000, 'first delivery');
      expect(first.map((p) => [p.event.id, p.deliveryCount])).toEqual([['e1', 1], ['e2', 1]]);
      expect(first[0]!.order).toBeLessThan(first[1]!.order);
      expect(first[1]!.event).toEqual(testEvent('e2', 'leave'));
      await first[0]!.ack();
      crash(); // gone holding e2
      const second: PendingBusEvent[] = [];
      const started = Date.now();
      await bus.consumeEvents(durable, (p) => second.push(p));
      await waitFor(() => second.some((p) => p.event.id === 'e2'), h.ackWaitMs + 5000, 'redelivery');
      expect(Date.now() - started).toBeLessThan(h.ackWaitMs + 5000);
      const e2 = second.find((p) => p.event.id === 'e2')!;
      expect(e2.deliveryCount).toBe(2);
      expect(e2.event).toEqual(testEvent('e2', 'leave'));
      expect(e2.order).toBe(first[1]!.order);
      expect(second.map((p) => p.event.id)).toEqual(['e2']);
      await e2.ack();
      await sleep(h.ackWaitMs + 200);
      expect(second.map((p) => p.event.id)).toEqual(['e2']); // acknowledged: never again
      expect(bus.stats.eventsPublished).toBe(2);
    }, 20_000);

    it('tells a consumer when an earlier event of the same stream is held elsewhere (a join held by a crashed consumer)', async () => {
      const bus = await fresh();
      const durable = `ord${randomBytes(4).toString('hex')}`;
      await bus.publishEvent(testEvent('o-join', 'join', 'stream-a'));
      const first: PendingBusEvent[] = [];
      const crash = await bus.consumeEvents(durable, (p) => first.push(p));
      await waitFor(() => first.length === 1, 5000, 'the join');
      expect(await first[0]!.earlierElsewhere()).toBe(false);
      crash(); // gone holding the join
      await bus.publishEvent(testEvent('o-leave', 'leave', 'stream-a'));
      await bus.publishEvent(testEvent('o-other', 'join', 'stream-b'));
      const second: PendingBusEvent[] = [];
      await bus.consumeEvents(durable, (p) => second.push(p));
      await waitFor(() => second.some((p) => p.event.id === 'o-leave') && second.some((p) => p.event.id === 'o-other'), 5000, 'leave and other');
      const leave = second.find((p) => p.event.id === 'o-leave')!;
      const other = second.find((p) => p.event.id === 'o-other')!;
      // Until the join comes back to this consumer, it is held elsewhere (JetStream: for its ack
      // wait; the in-process bus hands it back at once).
      const joinHere = () => second.some((p) => p.event.id === 'o-join');
      const joinWasHere = joinHere();
      expect(await leave.earlierElsewhere()).toBe(!joinWasHere);
      expect(await other.earlierElsewhere()).toBe(false);
      await waitFor(joinHere, h.ackWaitMs + 5000, 'the join back');
      expect(await leave.earlierElsewhere()).toBe(false);
      for (const p of second) await p.ack();
    }, 20_000);

    it('shows events to watchers as they are published without taking them from the consumers', async () => {
      const bus = await fresh();
      const durable = `wt${randomBytes(4).toString('hex')}`;
      await bus.publishEvent(testEvent('w0')); // before any watcher: a tap has no history
      const watched: EventEnvelope[] = [];
      const other: string[] = [];
      const stop = await bus.watchEvents((e) => watched.push(e));
      await bus.watchEvents((e) => other.push(e.id));
      await bus.watchEvents(() => {
        throw new Error('watcher bug');
      });
      await bus.publishEvent(testEvent('w1'));
      await bus.publishEvent(testEvent('w2', 'leave'));
      // At least once: de-duplicate by id as a watcher that counts must.
      const ids = (list: readonly string[]) => [...new Set(list)];
      await waitFor(() => ids(watched.map((e) => e.id)).length === 2 && ids(other).length === 2, 5000, 'watched events');
      expect(ids(watched.map((e) => e.id))).toEqual(['w1', 'w2']);
      expect(watched.find((e) => e.id === 'w2')).toEqual(testEvent('w2', 'leave'));
      expect(bus.stats.dropped[DropReason.handlerError]).toBeGreaterThanOrEqual(2);
      // Every event is still there for the consumers, the one published before watching too.
      const consumed: string[] = [];
      await bus.consumeEvents(durable, (p) => {
        consumed.push(p.event.id);
        void p.ack().catch(() => undefined); // a test's teardown can delete the stream under an ack in flight
      });
      await waitFor(() => consumed.length === 3, 5000, 'consumed events');
      expect(consumed).toEqual(['w0', 'w1', 'w2']);
      stop();
      await bus.publishEvent(testEvent('w3'));
      await waitFor(() => consumed.includes('w3') && other.includes('w3'), 5000, 'w3 consumed and watched by the other');
      await sleep(50);
      expect(ids(watched.map((e) => e.id))).toEqual(['w1', 'w2']);
    });

    it('retries an event after the delay the consumer asks for', async () => {
      const bus = await fresh();
      await bus.publishEvent(testEvent('r1'));
      const seen: Array<{ at: number; count: number }> = [];
      await bus.consumeEvents(`rt${randomBytes(4).toString('hex')}`, (p) => {
        seen.push({ at: Date.now(), count: p.deliveryCount });
        if (p.deliveryCount < 3) p.retry(300);
        else void p.ack().catch(() => undefined); // a test's teardown can delete the stream under an ack in flight
      });
      await waitFor(() => seen.length === 3, 5000, 'two retries');
      expect(seen.map((s) => s.count)).toEqual([1, 2, 3]);
      expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(280);
      expect(seen[2]!.at - seen[1]!.at).toBeGreaterThanOrEqual(280);
      expect(seen[2]!.at - seen[0]!.at).toBeLessThan(3000);
    });

    it('keeps an event alive past the ack wait for as long as the consumer says it is working', async () => {
      const bus = await fresh();
      await bus.publishEvent(testEvent('k1'));
      const seen: PendingBusEvent[] = [];
      await bus.consumeEvents(`ka${randomBytes(4).toString('hex')}`, (p) => seen.push(p));
      await waitFor(() => seen.length === 1, 5000, 'delivery');
      const alive = setInterval(() => seen[0]!.keepAlive(), h.ackWaitMs / 4);
      await sleep(h.ackWaitMs * 1.5 + 100);
      clearInterval(alive);
      expect(seen).toHaveLength(1);
      await seen[0]!.ack();
    });

    it('carries talk audio to the device side and viewer notices to the ingest side', async () => {
      const bus = await fresh();
      const talk: TalkAudio[] = [];
      const anyTalk: TalkAudio[] = [];
      const viewers: ViewerNotice[] = [];
      await bus.subscribeTalk({ sim: SIM, channel: 1 }, (a) => talk.push(a));
      await bus.subscribeTalk({}, (a) => anyTalk.push(a));
      await bus.subscribeViewers({ streamKind: 'live', sim: SIM }, (n) => viewers.push(n));
      const audio: TalkAudio = { sim: SIM, channel: 1, codec: 'g711a', timestamp: 20, sequence: 1, sessionId: 'webrtc-7', data: Uint8Array.from({ length: 160 }, (_, i) => (i * 13) & 0xff) };
      const elsewhere: TalkAudio = { ...audio, channel: 2 };
      const notice: ViewerNotice = { streamKind: 'live', sim: SIM, channel: 1, streamPath: `live/jt1078-${SIM}-1`, viewers: 3, from: 'packager-0', at: 1_752_404_295_000 };
      bus.publishTalk(audio);
      bus.publishTalk(elsewhere);
      bus.publishViewers(notice);
      bus.publishViewers({ ...notice, streamKind: 'playback' });
      await waitFor(() => talk.length === 1 && anyTalk.length === 2 && viewers.length === 1, 5000, 'talk and viewers');
      await sleep(50);
      const hex = (a: TalkAudio) => ({ ...a, data: Buffer.from(a.data).toString('hex') });
      expect(talk.map(hex)).toEqual([hex(audio)]);
      expect(anyTalk.map(hex)).toEqual([hex(audio), hex(elsewhere)]);
      expect(viewers).toEqual([notice]);
    });

    it('refuses a SIM or channel that is not digits before it reaches a subject', async () => {
      const bus = await fresh();
      expect(() => bus.publishFrame(testFrame(0, { sim: '0138.>' }))).toThrow(InvalidSubjectToken);
      expect(() => bus.publishFrame(testFrame(0, { sim: '1'.repeat(21) }))).toThrow(InvalidSubjectToken);
      expect(() => bus.publishFrame(testFrame(0, { channel: 256 }))).toThrow(InvalidSubjectToken);
      expect(() => bus.publishTalk({ sim: '13 8', channel: 1, codec: 'g711a', timestamp: 0, sequence: 0, sessionId: 's', data: new Uint8Array(1) })).toThrow(InvalidSubjectToken);
      await expect(bus.subscribeFrames({ streamKind: 'live', sim: '*' }, () => {})).rejects.toThrow(InvalidSubjectToken);
      await expect(bus.subscribeFrames({ streamKind: 'live', sim: SIM, channel: -1 }, () => {})).rejects.toThrow(InvalidSubjectToken);
      expect(bus.stats.framesPublished).toBe(0);
    });

    it('counts a subscriber that throws and keeps delivering to it and to the others', async () => {
      const bus = await fresh();
      const sim = '013800000007';
      const good: number[] = [];
      let calls = 0;
      await bus.subscribeFrames({ streamKind: 'live', sim, channel: 1 }, () => {
        calls++;
        throw new Error('subscriber bug');
      });
      await bus.subscribeFrames({ streamKind: 'live', sim, channel: 1 }, (f) => good.push(f.sequence));
      for (let i = 0; i < 3; i++) bus.publishFrame(testFrame(i, { sim }));
      await waitFor(() => good.length === 3 && calls === 3, 5000, 'deliveries');
      expect(good).toEqual([0, 1, 2]);
      expect(bus.stats.dropped[DropReason.handlerError]).toBe(3);
    });

    it('stops delivering after unsubscribe and reports closed', async () => {
      const bus = await fresh();
      const sim = '013800000008';
      const got: number[] = [];
      const statuses: string[] = [];
      bus.onStatus((s) => statuses.push(s));
      const stop = await bus.subscribeFrames({ streamKind: 'live', sim, channel: 1 }, (f) => got.push(f.sequence));
      bus.publishFrame(testFrame(0, { sim }));
      await waitFor(() => got.length === 1, 5000, 'first frame');
      stop();
      bus.publishFrame(testFrame(1, { sim }));
      await sleep(100);
      expect(got).toEqual([0]);
      await bus.close();
      await waitFor(() => statuses.includes('closed'), 2000, 'closed status');
      bus.publishFrame(testFrame(2, { sim }));
      expect(bus.stats.dropped[DropReason.closed]).toBe(1);
    });
  });
}
