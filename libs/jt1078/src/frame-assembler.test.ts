import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameAssembler, MAX_FRAME_BYTES, hisiliconPayload } from './frame-assembler.js';
import { DataType, Jt1078Packet, PAYLOAD_TYPE_OF, Subpackage } from './packet.js';
import { FaultKind, type FaultKind as FaultKindName, type StreamFault } from './stream-fault.js';

const { atomic: A, first: F, middle: M, last: L } = Subpackage;

interface Spec {
  readonly seq: number;
  readonly sp: number;
  readonly dt?: number;
  readonly body?: readonly number[];
  readonly channel?: number;
}

/** A packet as the demuxer hands it over: the pure core needs no bytes on a wire. */
function packet(s: Spec): Jt1078Packet {
  const dt = s.dt ?? DataType.P;
  const pt = dt <= DataType.B ? PAYLOAD_TYPE_OF.h264 : dt === DataType.audio ? PAYLOAD_TYPE_OF.g711a : 0;
  const video = dt <= DataType.B;
  return new Jt1078Packet('2016', 0x81, s.sp === A || s.sp === L, pt, s.seq & 0xffff, '013900000001', s.channel ?? 1, dt, s.sp, dt === DataType.passthrough ? undefined : s.seq * 40,
    video ? 0 : undefined, video ? 40 : undefined, Uint8Array.from(s.body ?? [s.seq & 0xff]), s.seq * 100);
}

function run(specs: readonly Spec[]) {
  const faults: StreamFault[] = [];
  const assembler = new FrameAssembler({ onFault: (f) => faults.push(f) });
  const frames: Array<{ kind: string; data: number[]; packets: number; firstSequence: number; hisilicon: boolean; keyFrame: boolean }> = [];
  for (const s of specs) for (const f of assembler.push(packet(s))) frames.push({ kind: f.kind, data: [...f.data], packets: f.packets, firstSequence: f.firstSequence, hisilicon: f.hisilicon, keyFrame: f.keyFrame });
  assembler.end();
  return { frames, faults: faults.map((f) => f.kind), stats: assembler.stats };
}

interface Case {
  readonly name: string;
  readonly packets: readonly Spec[];
  readonly frames: ReadonlyArray<{ kind: string; data: number[]; packets: number }>;
  readonly faults: readonly FaultKindName[];
  readonly lost?: number;
  readonly dropped?: number;
}

const IDR = [0, 0, 0, 1, 0x65, 0x88];
const HISI_AUDIO = [0x00, 0x01, 0x02, 0x00, 0xd5, 0xd5, 0xd5, 0xd5];

const CASES: readonly Case[] = [
  { name: 'an atomic packet is a frame', packets: [{ seq: 0, sp: A, body: [1, 2] }], frames: [{ kind: 'video', data: [1, 2], packets: 1 }], faults: [] },
  {
    name: 'first, middle, last make one frame in order',
    packets: [{ seq: 0, sp: F, body: [1] }, { seq: 1, sp: M, body: [2, 3] }, { seq: 2, sp: L, body: [4] }],
    frames: [{ kind: 'video', data: [1, 2, 3, 4], packets: 3 }],
    faults: [],
  },
  {
    name: 'a lost middle packet drops the frame and is counted',
    packets: [{ seq: 10, sp: F }, { seq: 11, sp: M }, { seq: 13, sp: L }, { seq: 14, sp: A, body: [9] }],
    frames: [{ kind: 'video', data: [9], packets: 1 }],
    faults: [FaultKind.sequenceGap, FaultKind.missingFirst],
    lost: 1,
    dropped: 2,
  },
  {
    name: 'audio between the subpackages of a video frame (one counter for both)',
    packets: [{ seq: 0, sp: F, body: [1] }, { seq: 1, sp: A, dt: DataType.audio, body: [7] }, { seq: 2, sp: L, body: [2] }],
    frames: [{ kind: 'audio', data: [7], packets: 1 }, { kind: 'video', data: [1, 2], packets: 2 }],
    faults: [],
  },
  { name: 'a middle with no first', packets: [{ seq: 0, sp: M }, { seq: 1, sp: L }], frames: [], faults: [FaultKind.missingFirst, FaultKind.missingFirst], dropped: 1 },
  {
    name: 'a first while a frame is open drops the open one',
    packets: [{ seq: 0, sp: F, body: [1] }, { seq: 1, sp: F, body: [2] }, { seq: 2, sp: L, body: [3] }],
    frames: [{ kind: 'video', data: [2, 3], packets: 2 }],
    faults: [FaultKind.incompleteFrame],
    dropped: 1,
  },
  { name: 'an empty atomic packet is no frame', packets: [{ seq: 0, sp: A, body: [] }], frames: [], faults: [FaultKind.emptyFrame], dropped: 1 },
  { name: 'the stream ends inside a frame', packets: [{ seq: 0, sp: F }], frames: [], faults: [FaultKind.incompleteFrame], dropped: 1 },
  { name: 'sequence numbers wrap without loss', packets: [{ seq: 0xffff, sp: F, body: [1] }, { seq: 0x10000, sp: L, body: [2] }], frames: [{ kind: 'video', data: [1, 2], packets: 2 }], faults: [] },
  { name: 'a HiSilicon header comes off audio', packets: [{ seq: 0, sp: A, dt: DataType.audio, body: HISI_AUDIO }], frames: [{ kind: 'audio', data: [0xd5, 0xd5, 0xd5, 0xd5], packets: 1 }], faults: [] },
  { name: 'passthrough data is its own kind', packets: [{ seq: 0, sp: A, dt: DataType.passthrough, body: [5] }], frames: [{ kind: 'passthrough', data: [5], packets: 1 }], faults: [] },
  { name: 'an H.264 IDR is a key frame whatever the data type', packets: [{ seq: 0, sp: A, dt: DataType.P, body: IDR }], frames: [{ kind: 'video', data: IDR, packets: 1 }], faults: [] },
  {
    name: 'channels are assembled apart',
    packets: [{ seq: 0, sp: F, body: [1], channel: 1 }, { seq: 0, sp: F, body: [2], channel: 2 }, { seq: 1, sp: L, body: [3], channel: 1 }, { seq: 1, sp: L, body: [4], channel: 2 }],
    frames: [{ kind: 'video', data: [1, 3], packets: 2 }, { kind: 'video', data: [2, 4], packets: 2 }],
    faults: [],
  },
];

describe('FrameAssembler', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const r = run(c.packets);
      expect(r.frames.map(({ kind, data, packets }) => ({ kind, data, packets }))).toEqual(c.frames);
      expect(r.faults).toEqual(c.faults);
      expect(r.stats.lostPackets).toBe(c.lost ?? 0);
      expect(r.stats.droppedFrames).toBe(c.dropped ?? 0);
      expect(r.stats.frames).toBe(c.frames.length);
    });
  }

  it('marks key frames from the bitstream and HiSilicon frames as such', () => {
    expect(run([{ seq: 0, sp: A, body: IDR }]).frames[0]).toMatchObject({ keyFrame: true });
    expect(run([{ seq: 0, sp: A, dt: DataType.I, body: [0, 0, 0, 1, 0x41, 0] }]).frames[0]).toMatchObject({ keyFrame: false });
    expect(run([{ seq: 0, sp: A, dt: DataType.audio, body: HISI_AUDIO }]).frames[0]).toMatchObject({ hisilicon: true });
  });

  it('takes a HiSilicon header only when its count matches the body', () => {
    expect(hisiliconPayload(Uint8Array.from(HISI_AUDIO))).toEqual(Uint8Array.from([0xd5, 0xd5, 0xd5, 0xd5]));
    expect(hisiliconPayload(Uint8Array.from([0, 1, 3, 0, 1, 2, 3, 4]))).toBeUndefined();
    expect(hisiliconPayload(Uint8Array.from([0, 1, 0, 0]))).toBeUndefined();
  });

  it('drops a frame over MAX_FRAME_BYTES', () => {
    const big = new Uint8Array(MAX_FRAME_BYTES / 2 + 1);
    const a = new FrameAssembler();
    a.push(new Jt1078Packet('2016', 0x81, false, 98, 0, '1', 1, DataType.I, F, 0, 0, 0, big, 0));
    a.push(new Jt1078Packet('2016', 0x81, false, 98, 1, '1', 1, DataType.I, M, 0, 0, 0, big, 0));
    expect(a.stats.faults[FaultKind.frameTooLarge]).toBe(1);
    expect(a.bufferedBytes).toBe(0);
  });

  it('never throws, never makes bytes, and accounts for every packet (fuzz, cases as seeds)', () => {
    const spec = fc.record({
      seqStep: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 3 })),
      sp: fc.integer({ min: 0, max: 3 }),
      dt: fc.integer({ min: 0, max: 4 }),
      body: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 12 }),
      channel: fc.integer({ min: 1, max: 2 }),
    });
    const fromSpecs = fc.array(spec, { maxLength: 60 }).map((list) => {
      let seq = 0;
      return list.map((s) => ({ seq: (seq += s.seqStep), sp: s.sp, dt: s.dt, body: s.body, channel: s.channel }));
    });
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...CASES.map((c) => c.packets)), fromSpecs), (specs) => {
        const r = run(specs);
        const inBytes = specs.reduce((n, s) => n + (s.body ?? [0]).length, 0);
        expect(r.frames.reduce((n, f) => n + f.data.length, 0)).toBeLessThanOrEqual(inBytes);
        expect(r.frames.reduce((n, f) => n + f.packets, 0)).toBeLessThanOrEqual(specs.length);
        expect(r.stats.frames).toBe(r.frames.length);
        // Every packet that ends a frame (atomic or last) gives a frame or a counted drop.
        const ends = specs.filter((s) => s.sp === A || s.sp === L).length;
        expect(r.stats.frames + r.stats.droppedFrames).toBeGreaterThanOrEqual(ends);
      }),
      { numRuns: 500 },
    );
  });
});
