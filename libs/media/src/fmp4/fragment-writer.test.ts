import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readFragment } from './fragment-reader.js';
import { writeFragment, type FragmentTrack } from './fragment-writer.js';

/** Top-level and moof-level box types and sizes, walked independently of readFragment. */
function layout(bytes: Uint8Array): string[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: string[] = [];
  const walk = (from: number, to: number, depth: number) => {
    for (let o = from; o < to; ) {
      const size = v.getUint32(o);
      const type = Buffer.from(bytes.subarray(o + 4, o + 8)).toString('latin1');
      out.push(`${'  '.repeat(depth)}${type} ${size}`);
      if (type === 'moof' || type === 'traf') walk(o + 8, o + size, depth + 1);
      o += size;
    }
  };
  walk(0, bytes.length, 0);
  return out;
}

const sample = (size: number, keyFrame = false, compositionOffset?: number) => ({ data: new Uint8Array(size).fill(size), duration: 3600, keyFrame, ...(compositionOffset === undefined ? {} : { compositionOffset }) });

const cases: ReadonlyArray<{ name: string; tracks: FragmentTrack[]; layout: string[] }> = [
  {
    name: 'one video sample',
    tracks: [{ trackId: 1, baseMediaDecodeTime: 0, samples: [sample(10, true)] }],
    // moof 8 + mfhd 16 + traf (8 + tfhd 16 + tfdt 20 + trun 20 + 12) ; mdat 8 + 10.
    layout: ['moof 100', '  mfhd 16', '  traf 76', '    tfhd 16', '    tfdt 20', '    trun 32', 'mdat 18'],
  },
  {
    name: 'video and audio, three samples in all',
    tracks: [{ trackId: 1, baseMediaDecodeTime: 9000, samples: [sample(5, true), sample(3)] }, { trackId: 2, baseMediaDecodeTime: 4800, samples: [sample(2)] }],
    layout: ['moof 188', '  mfhd 16', '  traf 88', '    tfhd 16', '    tfdt 20', '    trun 44', '  traf 76', '    tfhd 16', '    tfdt 20', '    trun 32', 'mdat 18'],
  },
  {
    name: 'a composition offset makes 16-byte trun entries',
    tracks: [{ trackId: 1, baseMediaDecodeTime: 0, samples: [sample(1, true, 3600), sample(1, false, -3600)] }],
    layout: ['moof 120', '  mfhd 16', '  traf 96', '    tfhd 16', '    tfdt 20', '    trun 52', 'mdat 10'],
  },
  {
    name: 'a track without samples is left out',
    tracks: [{ trackId: 1, baseMediaDecodeTime: 0, samples: [] }, { trackId: 2, baseMediaDecodeTime: 0, samples: [sample(4)] }],
    layout: ['moof 100', '  mfhd 16', '  traf 76', '    tfhd 16', '    tfdt 20', '    trun 32', 'mdat 12'],
  },
];

describe('writeFragment', () => {
  it.each(cases)('$name: box sizes and types', ({ tracks, layout: expected }) => {
    const bytes = writeFragment(42, tracks);
    expect(layout(bytes)).toEqual(expected);
    // mfhd sequence_number (§8.8.5).
    expect(new DataView(bytes.buffer).getUint32(20)).toBe(42);
    const read = readFragment(bytes);
    const present = tracks.filter((t) => t.samples.length > 0);
    expect(read.map((t) => [t.trackId, t.baseMediaDecodeTime])).toEqual(present.map((t) => [t.trackId, t.baseMediaDecodeTime]));
    expect(read.map((t) => t.samples.map((s) => [[...s.data], s.duration, s.keyFrame]))).toEqual(present.map((t) => t.samples.map((s) => [[...s.data], s.duration, s.keyFrame])));
  });

  it('reads back exactly what it wrote, and is as big as its samples plus fixed overheads (fuzz, seeded by the cases)', () => {
    const fragmentSample = fc.record({ data: fc.uint8Array({ maxLength: 100 }), duration: fc.integer({ min: 0, max: 0xffffffff }), keyFrame: fc.boolean() });
    const track = (trackId: number): fc.Arbitrary<FragmentTrack> => fc.record({ trackId: fc.constant(trackId), baseMediaDecodeTime: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), samples: fc.array(fragmentSample, { maxLength: 20 }) });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), track(1), track(2), (seq, video, audio) => {
        const bytes = writeFragment(seq, [video, audio]);
        const samples = [...video.samples, ...audio.samples];
        expect(bytes.length).toBeLessThanOrEqual(8 + 16 + 2 * 64 + 8 + samples.reduce((n, s) => n + 16 + s.data.length, 0));
        const read = readFragment(bytes);
        const present = [video, audio].filter((t) => t.samples.length > 0);
        expect(read.map((t) => [t.trackId, t.baseMediaDecodeTime])).toEqual(present.map((t) => [t.trackId, t.baseMediaDecodeTime]));
        expect(read.flatMap((t) => t.samples.map((s) => [Buffer.from(s.data).toString('hex'), s.duration, s.keyFrame]))).toEqual(present.flatMap((t) => t.samples.map((s) => [Buffer.from(s.data).toString('hex'), s.duration, s.keyFrame])));
      }),
      { numRuns: 200, examples: cases.filter((c) => c.tracks.length === 2).map((c): [number, FragmentTrack, FragmentTrack] => [1, c.tracks[0]!, c.tracks[1]!]) },
    );
  });
});
