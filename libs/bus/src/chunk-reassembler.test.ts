import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkReassembler, type ReassemblyLoss } from './chunk-reassembler.js';
import { FrameHeader, MalformedEnvelope, type FrameEnvelope } from './frame-envelope.js';
import { MIN_CHUNK_BYTES, frameMessages, headerBytes } from './frame-messages.js';

const SUBJECT = 'jt1078.media.live.295696659617.1';

const frame = (sequence: number, size: number, over: Partial<FrameEnvelope> = {}): FrameEnvelope => ({
  streamKind: 'live', sim: '295696659617', channel: 1, codec: 'h264', mediaKind: 'video', keyFrame: true, timestamp: sequence * 40,
  sequence, connectionId: 'c1', streamPath: 'live/jt1078-295696659617-1', data: Uint8Array.from({ length: size }, (_, i) => (i * 251 + sequence) & 0xff), ...over,
});

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
    expect(msgs[0]!.headers.has(FrameHeader.chunk)).toBe(false);
    expect(msgs[0]!.headers.get(FrameHeader.msgId)).toBe('c1-295696659617-1-1');
  });

  it('cuts at the exact boundary: headers + data = max_payload is one message, one byte more is two', () => {
    const probe = frameMessages(frame(1, 10), 1 << 20)[0]!;
    const limit = headerBytes(probe.headers) + 100_000;
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
          expect(headerBytes(m.headers) + m.data.length).toBeLessThanOrEqual(maxPayload);
          const got = r.accept(SUBJECT, m.headers, m.data);
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
    expect(r.accept(SUBJECT, msgs[0]!.headers, msgs[0]!.data)).toBeUndefined();
    expect(r.accept(SUBJECT, msgs[2]!.headers, msgs[2]!.data)).toBeUndefined();
    expect(r.accept(SUBJECT, msgs[2]!.headers, msgs[2]!.data)).toBeUndefined();
    expect(hex(r.accept(SUBJECT, msgs[1]!.headers, msgs[1]!.data))).toEqual(hex(f));
  });

  it('skips and counts a frame whose first piece it never saw, without holding it', () => {
    const msgs = frameMessages(frame(4, 30_000), 12_000);
    const { r, losses } = harness();
    expect(r.accept(SUBJECT, msgs[1]!.headers, msgs[1]!.data)).toBeUndefined();
    expect(r.accept(SUBJECT, msgs[2]!.headers, msgs[2]!.data)).toBeUndefined();
    expect(losses).toEqual(['partial']);
    expect(r.open).toBe(0);
  });

  it('gives up an incomplete frame after the timeout, counted once, and still delivers the next one', () => {
    const { r, losses, advance } = harness(1000);
    const a = frameMessages(frame(5, 30_000), 12_000);
    r.accept(SUBJECT, a[0]!.headers, a[0]!.data);
    advance(999);
    r.sweep();
    expect(losses).toEqual([]);
    advance(1);
    r.sweep();
    expect(losses).toEqual(['timeout']);
    const b = frameMessages(frame(6, 30_000), 12_000);
    let out: FrameEnvelope | undefined;
    for (const m of b) out = r.accept(SUBJECT, m.headers, m.data);
    expect(out?.sequence).toBe(6);
    expect(r.losses).toEqual({ timeout: 1, evicted: 0, partial: 0 });
  });

  it('evicts the oldest incomplete frame beyond maxOpen frames or maxOpenBytes', () => {
    const { r, losses } = harness(10_000, { maxOpen: 2 });
    for (let seq = 0; seq < 3; seq++) {
      const m = frameMessages(frame(seq, 30_000), 12_000)[0]!;
      r.accept(SUBJECT, m.headers, m.data);
    }
    expect(losses).toEqual(['evicted']);
    expect(r.open).toBe(2);
    const bytes = harness(10_000, { maxOpenBytes: 15_000 });
    for (let seq = 0; seq < 2; seq++) {
      const m = frameMessages(frame(seq, 30_000), 12_000)[0]!;
      bytes.r.accept(SUBJECT, m.headers, m.data);
    }
    expect(bytes.losses).toEqual(['evicted']);
  });

  it('rejects a chunk header that is not <index>/<count> with index < count', () => {
    const m = frameMessages(frame(8, 30_000), 12_000)[0]!;
    const { r } = harness();
    for (const bad of ['3/3', 'x/2', '1', '0/0', '0/9999']) {
      const h = new Map(m.headers).set(FrameHeader.chunk, bad);
      expect(() => r.accept(SUBJECT, h, m.data)).toThrow(MalformedEnvelope);
    }
  });

  it('refuses a max_payload that leaves no room for a useful piece', () => {
    expect(() => frameMessages(frame(9, 100_000), 4096)).toThrow(MalformedEnvelope);
  });
});
