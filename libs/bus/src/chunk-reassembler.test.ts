import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkReassembler, type ReassemblyLoss } from './chunk-reassembler.js';
import { FrameHeader, MalformedEnvelope, type FrameEnvelope } from './frame-envelope.js';
import { MIN_CHUNK_BYTES, frameMessages, wireHeaders, type WireMessage } from './frame-messages.js';

const SUBJECT = 'jt1078.media.live.295696659617.1';

const frame = (sequence: number, size: number, over: Partial<FrameEnvelope> = {}): FrameEnvelope => ({
  streamKind: 'live', sim: '295696659617', channel: 1, codec: 'h264', mediaKind: 'video', keyFrame: true, timestamp: sequence * 40,
  sequence, connectionId: 'c1', streamPath: 'live/jt1078-295696659617-1', data: Uint8Array.from({ length: size }, (_, i) => (i * 251 + sequence) & 0xff), ...over,
});

const accept = (r: ChunkReassembler, m: WireMessage) => r.accept(SUBJECT, wireHeaders(m), m.data);

const hex = (f: FrameEnvelope | undefined) => f && { ...f, data: Buffer.from(f.data).toString('hex') };

function harness(timeoutMs = 1000, extra: { maxOpen?: number; maxOpenBytes?: number } = {}) {
  let now = 0;
  const losses: ReassemblyLoss[] = [];
  const r = new ChunkReassembler({ timeoutMs, now: () => now, onLoss: (reason) => losses.push(reason), ...extra });
  return { r, losses, advance: (ms: number) => (now += ms) };
}

describe('frameMessages + ChunkReassembler', () => {
  it('sends a frame that fits as one message without a chunk header', () => {
    const msgs = frameMessages(frame(1, 1000), 1024 * 1024);
    expect(msgs).toHaveLength(1);
    expect(wireHeaders(msgs[0]!).has(FrameHeader.chunk)).toBe(false);
    expect(wireHeaders(msgs[0]!).get(FrameHeader.msgId)).toBe('c1-295696659617-1-1');
  });

  it('cuts at the exact boundary: headers + data = max_payload is one message, one byte more is two', () => {
    const probe = frameMessages(frame(1, 10), 1 << 20)[0]!;
    const limit = probe.headers.length + 100_000;
    expect(frameMessages(frame(1, 100_000), limit)).toHaveLength(1);
    expect(frameMessages(frame(1, 100_001), limit)).toHaveLength(2);
  });

  it('round-trips any frame size through any max_payload, every message within the limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: MIN_CHUNK_BYTES + 1024, max: 70_000 }), (size, maxPayload) => {
        const f = frame(7, size);
        const msgs = frameMessages(f, maxPayload);
        const { r } = harness();
        let out: FrameEnvelope | undefined;
        msgs.forEach((m, i) => {
          expect(m.headers.length + m.data.length).toBeLessThanOrEqual(maxPayload);
          const got = accept(r, m);
          if (i < msgs.length - 1) expect(got).toBeUndefined();
          else out = got;
        });
        expect(hex(out)).toEqual(hex(f));
        expect(r.open).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it('reassembles pieces that arrive out of order and ignores a repeated piece', () => {
    const f = frame(3, 30_000);
    const msgs = frameMessages(f, 12_000);
    expect(msgs.length).toBe(3);
    const { r } = harness();
    expect(accept(r, msgs[0]!)).toBeUndefined();
    expect(accept(r, msgs[2]!)).toBeUndefined();
    expect(accept(r, msgs[2]!)).toBeUndefined();
    expect(hex(accept(r, msgs[1]!))).toEqual(hex(f));
  });

  it('skips and counts a frame whose first piece it never saw, without holding it', () => {
    const msgs = frameMessages(frame(4, 30_000), 12_000);
    const { r, losses } = harness();
    expect(accept(r, msgs[1]!)).toBeUndefined();
    expect(accept(r, msgs[2]!)).toBeUndefined();
    expect(losses).toEqual(['partial']);
    expect(r.open).toBe(0);
  });

  it('gives up an incomplete frame after the timeout, counted once, and still delivers the next one', () => {
    const { r, losses, advance } = harness(1000);
    const a = frameMessages(frame(5, 30_000), 12_000);
    accept(r, a[0]!);
    advance(999);
    r.sweep();
    expect(losses).toEqual([]);
    advance(1);
    r.sweep();
    expect(losses).toEqual(['timeout']);
    const b = frameMessages(frame(6, 30_000), 12_000);
    let out: FrameEnvelope | undefined;
    for (const m of b) out = accept(r, m);
    expect(out?.sequence).toBe(6);
    expect(r.losses).toEqual({ timeout: 1, evicted: 0, partial: 0 });
  });

  it('evicts the oldest incomplete frame beyond maxOpen frames or maxOpenBytes', () => {
    const { r, losses } = harness(10_000, { maxOpen: 2 });
    for (let seq = 0; seq < 3; seq++) {
      const m = frameMessages(frame(seq, 30_000), 12_000)[0]!;
      accept(r, m);
    }
    expect(losses).toEqual(['evicted']);
    expect(r.open).toBe(2);
    const bytes = harness(10_000, { maxOpenBytes: 15_000 });
    for (let seq = 0; seq < 2; seq++) {
      const m = frameMessages(frame(seq, 30_000), 12_000)[0]!;
      accept(bytes.r, m);
    }
    expect(bytes.losses).toEqual(['evicted']);
  });

  it('rejects a chunk header that is not <index>/<count> with index < count', () => {
    const m = frameMessages(frame(8, 30_000), 12_000)[0]!;
    const { r } = harness();
    for (const bad of ['3/3', 'x/2', '1', '0/0', '0/9999']) {
      const h = wireHeaders(m).set(FrameHeader.chunk, bad);
      expect(() => r.accept(SUBJECT, h, m.data)).toThrow(MalformedEnvelope);
    }
  });

  it('refuses a max_payload that leaves no room for a useful piece', () => {
    expect(() => frameMessages(frame(9, 100_000), 4096)).toThrow(MalformedEnvelope);
  });
});
