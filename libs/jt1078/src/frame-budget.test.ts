import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameAssembler, type AssembledFrame } from './frame-assembler.js';
import { FrameBudget } from './frame-budget.js';
import { DataType, Subpackage } from './packet.js';
import { StreamDemuxer } from './stream-demuxer.js';
import { decimalSim } from './decimal-sim.js';
import type { StreamFault } from './stream-fault.js';

/** One 2016 packet, built from table 19 by hand (the encoder refuses SIMs that are not digits). */
function packet(o: { simHex?: string; channel?: number; seq: number; dataType?: number; subpackage?: number; body: Uint8Array }): Uint8Array {
  const dt = o.dataType ?? DataType.audio;
  const video = dt <= DataType.B;
  const head = Buffer.alloc(video ? 30 : 26);
  head.write('30316364', 0, 'hex');
  head[4] = 0x81;
  head[5] = video ? 98 : 6;
  head.writeUInt16BE(o.seq & 0xffff, 6);
  head.write(o.simHex ?? '013900000001', 8, 'hex');
  head[14] = o.channel ?? 1;
  head[15] = (dt << 4) | (o.subpackage ?? Subpackage.atomic);
  head.writeBigUInt64BE(BigInt(o.seq * 20), 16);
  head.writeUInt16BE(o.body.length, head.length - 2);
  // A buffer of its own, as a socket read is: the assembler charges the reads its frames pin.
  return new Uint8Array(Buffer.concat([head, o.body]));
}

function harness(opts: { maxBufferedBytes?: number; sharedBudget?: FrameBudget } = {}) {
  const frames: AssembledFrame[] = [];
  const faults: StreamFault[] = [];
  const assembler = new FrameAssembler({ onFault: (f) => faults.push(f), ...opts });
  // The revision is given: detection would hold a lone packet until the next one confirms it.
  const demuxer = new StreamDemuxer({ revision: '2016', onPacket: (p) => frames.push(...assembler.push(p)), onFault: (f) => faults.push(f) });
  return { frames, faults, assembler, demuxer };
}

describe('SIMs that are not decimal BCD', () => {
  it('keeps the digits of an F-padded SIM and refuses other hex nibbles with a counted fault', () => {
    expect(decimalSim('01390000080F')).toBe('01390000080');
    expect(decimalSim('FF0139000008')).toBe('0139000008');
    expect(decimalSim('0139A0000801')).toBeUndefined();
    expect(decimalSim('FFFFFFFFFFFF')).toBeUndefined();
    const h = harness();
    const body = Buffer.alloc(160, 0xff);
    h.demuxer.push(Buffer.concat([
      packet({ simHex: '01390000080F', seq: 0, body }),
      packet({ simHex: '0139B0000801', seq: 1, body }),
      packet({ simHex: '013900000801', seq: 2, body }),
    ]));
    h.demuxer.end();
    expect(h.frames.map((f) => f.sim)).toEqual(['01390000080', '013900000801']);
    expect(h.faults.filter((f) => f.kind === 'bad-sim')).toHaveLength(1);
    expect(h.demuxer.stats.faults['bad-sim']).toBe(1);
    expect(h.demuxer.stats.skippedBytes).toBe(26 + 160);
  });
});

describe('unfinished-frame memory caps', () => {
  const chunk = new Uint8Array(900).fill(7);

  it('drops the oldest open frame when a connection holds more than its cap', () => {
    const h = harness({ maxBufferedBytes: 10_000 });
    // Channel 1 opens first and is the oldest; channel 2 keeps growing past the cap.
    h.demuxer.push(packet({ channel: 1, seq: 0, dataType: DataType.I, subpackage: Subpackage.first, body: chunk }));
    for (let i = 0; i < 20; i++) h.demuxer.push(packet({ channel: 2, seq: i, dataType: DataType.I, subpackage: i === 0 ? Subpackage.first : Subpackage.middle, body: chunk }));
    expect(h.assembler.bufferedBytes).toBeLessThanOrEqual(10_000);
    const capped = h.faults.filter((f) => f.kind === 'memory-cap');
    expect(capped[0]?.channel).toBe(1);
    expect(h.assembler.stats.faults['memory-cap']).toBe(capped.length);
    // The frame that was dropped for memory is gone: its last subpackage has no first.
    h.demuxer.push(packet({ channel: 1, seq: 1, dataType: DataType.I, subpackage: Subpackage.last, body: chunk }));
    expect(h.faults.some((f) => f.kind === 'missing-first' && f.channel === 1)).toBe(true);
  });

  it('shares a pod budget across connections, evicting the oldest frame of any of them', () => {
    const pod = new FrameBudget(5_000);
    const a = harness({ sharedBudget: pod });
    const b = harness({ sharedBudget: pod });
    a.demuxer.push(packet({ seq: 0, dataType: DataType.I, subpackage: Subpackage.first, body: chunk }));
    for (let i = 0; i < 4; i++) b.demuxer.push(packet({ seq: i, dataType: DataType.I, subpackage: i === 0 ? Subpackage.first : Subpackage.middle, body: chunk }));
    expect(pod.usedBytes).toBe(5 * 930);
    b.demuxer.push(packet({ seq: 4, dataType: DataType.I, subpackage: Subpackage.middle, body: chunk }));
    expect(a.faults.map((f) => f.kind)).toEqual(['memory-cap']);
    expect(pod.usedBytes).toBe(5 * 930);
    expect(pod.evictions).toBe(1);
    b.demuxer.push(packet({ seq: 5, dataType: DataType.I, subpackage: Subpackage.last, body: chunk.subarray(0, 100) }));
    expect(b.frames).toHaveLength(1);
    expect(pod.usedBytes).toBe(0);
  });

  it('charges a frame for the whole reads its parts pin', () => {
    const h = harness({ maxBufferedBytes: 1 << 30 });
    // One 64 KB read carrying a first subpackage and padding: the frame keeps all of it alive.
    const read = new Uint8Array(64 * 1024);
    read.set(packet({ seq: 0, dataType: DataType.I, subpackage: Subpackage.first, body: chunk }));
    h.demuxer.push(read.subarray(0, 930));
    expect(h.assembler.bufferedBytes).toBe(64 * 1024);
    // The next part from the same read costs nothing more.
    read.set(packet({ seq: 1, dataType: DataType.I, subpackage: Subpackage.middle, body: chunk }), 930);
    h.demuxer.push(read.subarray(930, 1860));
    expect(h.assembler.bufferedBytes).toBe(64 * 1024);
  });

  it('releases everything a connection held when it ends', () => {
    const pod = new FrameBudget(1 << 30);
    const h = harness({ sharedBudget: pod, maxBufferedBytes: 1 << 30 });
    for (let ch = 0; ch < 30; ch++) h.demuxer.push(packet({ channel: ch, seq: ch, dataType: DataType.I, subpackage: Subpackage.first, body: chunk }));
    expect(pod.usedBytes).toBe(30 * 930);
    expect(pod.openFrames).toBe(30);
    h.demuxer.end();
    h.assembler.end();
    expect(pod.usedBytes).toBe(0);
    expect(pod.openFrames).toBe(0);
    expect(h.assembler.bufferedBytes).toBe(0);
  });
});

describe('FrameBudget under fuzz', () => {
  /** A frame whose owner releases it when evicted, as the assembler does. */
  class Frame {
    held = 0;
    evicted = false;
    constructor(private readonly budget: FrameBudget) {}
    evict(): void {
      this.evicted = true;
      this.budget.release(this);
    }
  }

  it('never holds more than its limit after a charge, evicting oldest first, and frees all on release', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.array(fc.tuple(fc.nat({ max: 9 }), fc.integer({ min: 0, max: 4000 }), fc.boolean()), { maxLength: 60 }), (limit, ops) => {
        const budget = new FrameBudget(limit);
        const frames = Array.from({ length: 10 }, () => new Frame(budget));
        for (const [i, bytes, release] of ops) {
          const f = frames[i]!;
          if (f.evicted) continue;
          if (release) {
            // A frame that completes is done: the next charge would be a new frame's.
            budget.release(f);
            f.held = 0;
            continue;
          }
          f.held += bytes;
          budget.charge(f, bytes);
          expect(budget.usedBytes).toBeLessThanOrEqual(limit);
        }
        for (const f of frames) budget.release(f);
        expect(budget.usedBytes).toBe(0);
        expect(budget.openFrames).toBe(0);
      }),
      { numRuns: 500 },
    );
  });
});
