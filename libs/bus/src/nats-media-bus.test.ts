/**
 * What only the NATS adapter has: headers any NATS client can read, the JetStream streams it
 * sets up, chunking above max_payload as seen on the wire, losses counted by reason, and a
 * server restart (a private nats-server; the shared one is never touched).
 */
import { connect, headers as natsHeaders, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { RetentionPolicy, StorageType, DiscardPolicy, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, describe, expect, it } from 'vitest';
import { natsUrl, startNatsServer, uniquePrefix, until, type LocalServer } from '../../../test/support/services.js';
import { DropReason } from './bus-stats.js';
import { FrameHeader, type FrameEnvelope } from './frame-envelope.js';
import { comparable, testEvent, testFrame } from './media-bus.contract.js';
import type { BusStatus, PendingBusEvent } from './media-bus.js';
import { NatsMediaBus, type NatsMediaBusOptions } from './nats-media-bus.js';

const buses: NatsMediaBus[] = [];
const raws: NatsConnection[] = [];
const servers: LocalServer[] = [];
afterAll(async () => {
  for (const b of buses) {
    if (!b.nc.isClosed()) await b.deleteStreams();
    await b.close();
  }
  for (const nc of raws) await nc.close();
  for (const s of servers) await s.stop();
});

async function bus(over: Partial<NatsMediaBusOptions> = {}): Promise<NatsMediaBus> {
  const b = await NatsMediaBus.connect({ url: await natsUrl(), root: uniquePrefix('nats'), ...over });
  buses.push(b);
  return b;
}

async function raw(url?: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url ?? (await natsUrl()) });
  raws.push(nc);
  return nc;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('NatsMediaBus on a real server', () => {
  it('puts every frame field in documented headers that a plain NATS client reads', async () => {
    const b = await bus();
    const nc = await raw();
    const got: Msg[] = [];
    nc.subscribe(`${b.subjects.root}.media.>`, { callback: (_e, m) => void got.push(m) });
    await nc.flush();
    const f = testFrame(101, { keyFrame: true, timestamp: 4212, sim: '295696659617', streamPath: 'live/jt1078-295696659617-1', connectionId: 'c-7' });
    b.publishFrame(f);
    await until(() => got.length === 1, 5000, 'raw message');
    const m = got[0]!;
    expect(m.subject).toBe(`${b.subjects.root}.media.live.295696659617.1`);
    expect(Object.fromEntries([...m.headers!].map(([k, v]) => [k, v[0]]))).toEqual({
      'Jt1078-Codec': 'h264', 'Jt1078-Media': 'video', 'Jt1078-Key': '1', 'Jt1078-Ts': '4212', 'Jt1078-Seq': '101',
      'Jt1078-Conn': 'c-7', 'Jt1078-Stream': 'live/jt1078-295696659617-1', 'Nats-Msg-Id': 'c-7-295696659617-1-101',
    });
    expect(Buffer.from(m.data).equals(Buffer.from(f.data))).toBe(true);

    // The frame that opens an HLS segment carries Jt1078-Segment as well, and only that one.
    b.publishFrame(testFrame(102, { keyFrame: true, segment: 1_764_582_000_123 }));
    await until(() => got.length === 2, 5000, 'segment frame');
    expect(got[1]!.headers!.get(FrameHeader.segment)).toBe('1764582000123');
    expect(got[0]!.headers!.has(FrameHeader.segment)).toBe(false);

    // A stream path that is not ASCII (a configured prefix may be any text) goes out as UTF-8, the
    // frames around it unchanged: one batch carries text headers and encoded ones side by side.
    b.publishFrame(testFrame(103, { streamPath: 'live/caméra-295696659617-1' }));
    b.publishFrame(testFrame(104, {}));
    await until(() => got.length === 4, 5000, 'frames around a UTF-8 stream path');
    expect(got[2]!.headers!.get(FrameHeader.stream)).toBe('live/caméra-295696659617-1');
    expect(got.slice(2).map((m) => m.headers!.get(FrameHeader.sequence))).toEqual(['103', '104']);
  });

  it('hands the frames of one turn to the client together, every one once and in order per stream, beyond the outbox size', async () => {
    const b = await bus();
    const nc = await raw();
    const seen = new Map<string, number[]>();
    nc.subscribe(`${b.subjects.root}.media.>`, {
      callback: (_e, m) => {
        const list = seen.get(m.subject) ?? [];
        list.push(Number(m.headers!.get(FrameHeader.sequence)));
        seen.set(m.subject, list);
      },
    });
    await nc.flush();
    // 40 streams × 50 frames of 1–9 KB in one synchronous burst (~1 MB: several outbox flushes), then more in the next turns.
    const sims = Array.from({ length: 40 }, (_, i) => `0139001${String(i).padStart(5, '0')}`);
    const burst = (from: number) => {
      for (let seq = from; seq < from + 50; seq++) for (const sim of sims) b.publishFrame(testFrame(seq, { sim, data: new Uint8Array(1000 + ((seq * 7919) % 8000)) }));
    };
    burst(0);
    expect(b.unsentBytes).toBeGreaterThan(0);
    await new Promise((r) => setImmediate(r));
    burst(50);
    await until(() => [...seen.values()].reduce((n, l) => n + l.length, 0) === 4000, 10_000, 'every frame');
    const expected = Array.from({ length: 100 }, (_, i) => i);
    for (const sim of sims) expect(seen.get(b.subjects.media('live', sim, 1))).toEqual(expected);
    expect(b.stats).toMatchObject({ framesPublished: 4000, framesDropped: 0 });
  });

  it('creates its event streams as documented, no stream captures media (an earlier version\'s window stream is removed), and a second pod updates them in place', async () => {
    const root = uniquePrefix('nats');
    const jsm = await jetstreamManager(await raw());
    // What an earlier version left behind: a JetStream window over the media subjects.
    const legacy = `${root.toUpperCase()}_MEDIA`;
    await jsm.streams.add({ name: legacy, subjects: [`${root}.media.>`], storage: StorageType.Memory, max_age: 30_000 * 1e6 });
    const b = await bus({ root });
    const events = await jsm.streams.info(b.streams.events);
    expect(events.config).toMatchObject({ subjects: [`${root}.events.>`], storage: StorageType.File, retention: RetentionPolicy.Workqueue, discard: DiscardPolicy.Old, max_age: 0 });
    // Read from the server's stream list: nothing covers this root's media subjects.
    const covering: string[] = [];
    for await (const si of jsm.streams.list()) {
      if ((si.config.subjects ?? []).some((s) => s === '>' || s === `${root}.>` || s === `${root}.media.>` || s.startsWith(`${root}.media.`))) covering.push(si.config.name);
    }
    expect(covering).toEqual([]);
    const second = await NatsMediaBus.connect({ url: await natsUrl(), root });
    await second.close();
    expect((await jsm.streams.info(b.streams.events)).config.subjects).toEqual([`${root}.events.>`]);
  });

  it('answers replay requests from the publishing pod: a plain NATS request gets the frames with their live headers from a segment mark, then the end marker', async () => {
    const b = await bus();
    const sim = '013800000021';
    for (let i = 0; i < 30; i++) b.publishFrame(testFrame(i, { sim, ...(i % 10 === 5 ? { segment: 100 + i } : {}) }));
    const nc = await raw();
    const inbox = `_INBOX.${uniquePrefix('r')}`;
    const replies: Msg[] = [];
    const sub = nc.subscribe(inbox, { callback: (_e, m) => void replies.push(m) });
    await nc.flush();
    nc.publish(`${b.subjects.root}.replay.live.${sim}.1`, new Uint8Array(0), { reply: inbox });
    await until(() => replies.some((m) => m.headers?.get('Jt1078-Replay-End') !== undefined && m.headers?.get('Jt1078-Replay-End') !== ''), 5000, 'replay end');
    sub.unsubscribe();
    const frames = replies.filter((m) => m.data.length > 0);
    // The frames before the first mark (0..4) cannot start a playlist and are not kept.
    expect(frames.map((m) => Number(m.headers!.get(FrameHeader.sequence)))).toEqual(Array.from({ length: 25 }, (_, i) => i + 5));
    expect(frames[0]!.headers!.get(FrameHeader.segment)).toBe('105');
    expect(frames[0]!.headers!.get(FrameHeader.stream)).toBe(`live/jt1078-${sim}-1`);
    expect(replies.at(-1)!.headers!.get('Jt1078-Replay-End')).toBe('25');
  });

  it('answers 50 first opens of live streams from the owner\'s window, none waiting out a timeout (the old JetStream read never saw "nothing pending" on a live stream and gave up after 10 s)', async () => {
    const owner = await bus();
    const viewer = await bus({ root: owner.subjects.root });
    const sims = Array.from({ length: 10 }, (_, i) => `0139000001${String(i).padStart(2, '0')}`);
    let seq = 0;
    const publisher = setInterval(() => {
      for (const sim of sims) owner.publishFrame(testFrame(seq, { sim, keyFrame: seq % 25 === 0, ...(seq % 25 === 0 ? { segment: seq / 25 } : {}) }));
      seq++;
    }, 20);
    const took: number[] = [];
    try {
      await sleep(1500);
      for (let i = 0; i < 50; i++) {
        const sim = sims[i % sims.length]!;
        const got: FrameEnvelope[] = [];
        const t0 = performance.now();
        const stop = await viewer.subscribeFrames({ streamKind: 'live', sim, channel: 1 }, (f) => got.push(f), { fromWindow: true });
        took.push(performance.now() - t0);
        stop();
        // A window from a mark, every frame in order after it.
        expect(got[0]!.segment).toBeDefined();
        expect(got.map((f) => f.sequence)).toEqual(Array.from({ length: got.length }, (_, k) => got[0]!.sequence + k));
      }
    } finally {
      clearInterval(publisher);
    }
    expect(viewer.stats.replays).toEqual({ replayed: 50, 'no-owner': 0, timeout: 0 });
    took.sort((x, y) => x - y);
    console.log(`first opens: p50 ${took[24]!.toFixed(1)} ms, p99 ${took[49]!.toFixed(1)} ms over 50`);
  }, 30_000);

  it('a stream nobody owns: subscribeFrames({fromWindow}) learns it at once (no responders) and goes live', async () => {
    const b = await bus();
    const got: number[] = [];
    await b.subscribeFrames({ streamKind: 'live', sim: '013800000022', channel: 1 }, (f) => got.push(f.sequence), { fromWindow: true });
    // Answered by the server's no-responders status, not by waiting out the replay timeout.
    expect(b.stats.replays).toEqual({ replayed: 0, 'no-owner': 1, timeout: 0 });
    expect(got).toEqual([]);
  });

  it('cuts a 3 MB frame into pieces under max_payload and counts it', async () => {
    const b = await bus();
    const nc = await raw();
    const pieces: Msg[] = [];
    nc.subscribe(`${b.subjects.root}.media.>`, { callback: (_e, m) => void pieces.push(m) });
    await nc.flush();
    const big = testFrame(0, { data: Uint8Array.from({ length: 3 * 1024 * 1024 }, (_, i) => (i * 7 + (i >> 12)) & 0xff) });
    b.publishFrame(big);
    expect(b.maxPayload).toBe(1024 * 1024);
    await until(() => pieces.length === 4, 5000, 'four pieces');
    expect(pieces.map((m) => m.headers!.get(FrameHeader.chunk))).toEqual(['0/4', '1/4', '2/4', '3/4']);
    expect(pieces.map((m) => m.headers!.get(FrameHeader.msgId))).toEqual([0, 1, 2, 3].map((i) => `conn-1-013800138000-1-0-${i}`));
    for (const m of pieces) expect(m.data.length).toBeLessThan(b.maxPayload);
    expect(pieces.reduce((n, m) => n + m.data.length, 0)).toBe(big.data.length);
    expect(b.stats).toMatchObject({ framesPublished: 1, chunkedFrames: 1, chunksPublished: 4, bytesPublished: big.data.length, framesDropped: 0 });
  });

  it('counts chunked frames it cannot complete, and malformed messages, by reason', async () => {
    const b = await bus({ reassemblyTimeoutMs: 200 });
    const nc = await raw();
    const got: FrameEnvelope[] = [];
    await b.subscribeFrames({ streamKind: 'live' }, (f) => got.push(f));
    const subject = b.subjects.media('live', '013800138000', 1);
    const piece = (seq: number, chunk: string) => {
      const h = natsHeaders();
      for (const [k, v] of [[FrameHeader.codec, 'h264'], [FrameHeader.media, 'video'], [FrameHeader.key, '1'], [FrameHeader.timestamp, '0'],
        [FrameHeader.sequence, String(seq)], [FrameHeader.connection, 'raw'], [FrameHeader.stream, 'live/jt1078-013800138000-1'], [FrameHeader.chunk, chunk]]) h.set(k!, v!);
      nc.publish(subject, new Uint8Array(10), { headers: h });
    };
    piece(1, '1/3'); // joined mid-frame: no first piece
    piece(1, '2/3');
    piece(2, '0/3'); // the rest never comes
    nc.publish(subject, new Uint8Array(3)); // no headers at all
    piece(3, '0/1'); // complete on its own
    await nc.flush();
    await until(() => b.stats.dropped[DropReason.reassemblyTimeout] === 1, 3000, 'reassembly timeout');
    expect(got.map((f) => f.sequence)).toEqual([3]);
    expect(b.stats.dropped).toMatchObject({ [DropReason.partialChunks]: 1, [DropReason.reassemblyTimeout]: 1, [DropReason.malformed]: 1 });
    expect(b.stats.reassemblyTimeouts).toBe(1);
    expect(b.stats.framesDropped).toBe(3);
  });

  it('drops a frame naming a codec outside the list, counted as unknown-codec and told to onUnreadable', async () => {
    const told: Array<[DropReason, unknown]> = [];
    const b = await bus({ onUnreadable: (reason, err) => void told.push([reason, err]) });
    const nc = await raw();
    const got: FrameEnvelope[] = [];
    await b.subscribeFrames({ streamKind: 'live' }, (f) => got.push(f));
    const subject = b.subjects.media('live', '013800138000', 1);
    for (const [seq, codec] of [[1, 'opus'], [2, 'h264']] as const) {
      const h = natsHeaders();
      for (const [k, v] of [[FrameHeader.codec, codec], [FrameHeader.media, 'video'], [FrameHeader.key, '1'], [FrameHeader.timestamp, '0'],
        [FrameHeader.sequence, String(seq)], [FrameHeader.connection, 'raw'], [FrameHeader.stream, 'live/jt1078-013800138000-1']]) h.set(k!, v!);
      nc.publish(subject, new Uint8Array(10), { headers: h });
    }
    nc.publish(subject, new Uint8Array(3)); // no headers at all
    await nc.flush();
    await until(() => got.length === 1 && b.stats.framesDropped === 2, 3000, 'the good frame and two drops');
    expect(got.map((f) => [f.sequence, f.codec])).toEqual([[2, 'h264']]);
    expect(b.stats.dropped).toMatchObject({ [DropReason.unknownCodec]: 1, [DropReason.malformed]: 1 });
    expect(told.map(([reason]) => reason).sort()).toEqual([DropReason.malformed, DropReason.unknownCodec]);
    expect(told.find(([reason]) => reason === DropReason.unknownCodec)![1]).toMatchObject({ kind: 'unknown-codec', codec: 'opus', subject });
  });

  it('terminates an event payload it cannot parse instead of redelivering it forever', async () => {
    const b = await bus({ eventAckWaitMs: 300 });
    const nc = await raw();
    const js = (await import('@nats-io/jetstream')).jetstream(nc);
    await js.publish(b.subjects.event('realtime', 'join'), 'not json', { msgID: 'junk' });
    await b.publishEvent(testEvent('good'));
    const seen: PendingBusEvent[] = [];
    await b.consumeEvents(uniquePrefix('wh'), (p) => {
      seen.push(p);
      void p.ack().catch(() => undefined); // a test's teardown can delete the stream under an ack in flight
    });
    await until(() => seen.length === 1, 5000, 'the good event');
    await sleep(700);
    expect(seen.map((p) => p.event.id)).toEqual(['good']);
    expect(b.stats.dropped[DropReason.malformed]).toBe(1);
    const jsm = await jetstreamManager(b.nc);
    expect((await jsm.streams.info(b.streams.events)).state.messages).toBe(0);
  });

  it('finds a held join among hundreds of positions skipped by a consumer that starts after a crash', async () => {
    const b = await bus({ eventAckWaitMs: 1500 });
    const durable = uniquePrefix('wh');
    for (let i = 0; i < 300; i++) await b.publishEvent(testEvent(`other-${i}`, 'join', `stream-${i}`));
    await b.publishEvent(testEvent('k-join', 'join', 'stream-k'));
    const held: PendingBusEvent[] = [];
    const crash = await b.consumeEvents(durable, (p) => held.push(p));
    await until(() => held.length === 301, 5000, 'all held');
    crash();
    await b.publishEvent(testEvent('k-leave', 'leave', 'stream-k'));
    const got: PendingBusEvent[] = [];
    await b.consumeEvents(durable, (p) => got.push(p));
    await until(() => got.length >= 1, 5000, 'the leave');
    expect(got.map((p) => p.event.id)).toEqual(['k-leave']);
    const leave = got[0]!;
    // 301 positions skipped (held by the crashed consumer until its ack wait): the join among them is found.
    const answers: boolean[] = [];
    for (let i = 0; i < 3; i++) answers.push(await leave.earlierElsewhere());
    expect(answers).toEqual([true, true, true]);
    await until(() => got.some((p) => p.event.id === 'k-join'), 10_000, 'the join redelivered');
    expect(await leave.earlierElsewhere()).toBe(false);
    for (const p of got) await p.ack();
  }, 20_000);

  describe('through a server restart (a private nats-server)', () => {
    it('reports disconnect and reconnect, bounds what it buffers meanwhile, keeps its replay window, and keeps events', async () => {
      const server = await startNatsServer();
      servers.push(server);
      const statuses: BusStatus[] = [];
      const b = await NatsMediaBus.connect({ url: server.url, root: uniquePrefix('restart'), reconnectBufferBytes: 10_000, eventAckWaitMs: 500, onStatus: (s) => statuses.push(s) });
      buses.push(b);
      const got: FrameEnvelope[] = [];
      await b.subscribeFrames({ streamKind: 'live' }, (f) => got.push(f));
      await b.publishEvent(testEvent('before-restart'));
      expect(b.pressure()).toBe(0);

      await server.stop();
      await until(() => statuses.includes('disconnected'), 5000, 'disconnected');
      expect(b.pressure()).toBe(1);
      const frames = Array.from({ length: 5 }, (_, i) => testFrame(i, { data: new Uint8Array(3000).fill(i) }));
      for (const f of frames) b.publishFrame(f);
      // 3 × 3000 bytes fit in the 10 000-byte reconnect buffer; the other 2 are counted.
      expect(b.stats.dropped[DropReason.reconnectBufferFull]).toBe(2);
      expect(b.stats.framesPublished).toBe(3);
      expect(b.pressure()).toBe(2);

      await server.start();
      await until(() => statuses.includes('reconnected'), 10_000, 'reconnected');
      await until(() => got.length === 3, 5000, `buffered frames after reconnect (got ${got.length}, stats ${JSON.stringify(b.stats)})`);
      expect(got.map(comparable)).toEqual(frames.slice(0, 3).map(comparable));
      expect(b.pressure()).toBe(0);

      // The window lives in the publishing pod, not in the server: it outlived the restart.
      b.publishFrame(testFrame(10));
      const replay: number[] = [];
      await b.subscribeFrames({ streamKind: 'live', sim: frames[0]!.sim, channel: 1 }, (f) => replay.push(f.sequence), { fromWindow: true });
      expect(replay).toEqual([0, 1, 2, 10]); // the two frames the full reconnect buffer dropped are not in it either

      // The file-storage events stream kept the event across the restart.
      const events: PendingBusEvent[] = [];
      await b.consumeEvents(uniquePrefix('wh'), (p) => events.push(p));
      await until(() => events.length === 1, 10_000, 'event kept across the restart');
      expect(events[0]!.event).toEqual(testEvent('before-restart'));
      await events[0]!.ack();
    }, 30_000);
  });
});
