import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fmp4ReadError, readFragment } from './fragment-reader.js';
import { writeFragment } from './fragment-writer.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

const good = writeFragment(1, [{ trackId: 1, baseMediaDecodeTime: 90000, samples: [{ data: Uint8Array.of(1, 2, 3), duration: 3600, keyFrame: true }] }]);

const broken = [
  { name: 'an mdat first', bytes: '00000008 6d646174', error: /moof/ },
  { name: 'fewer than 8 bytes', bytes: '000000', error: /moof/ },
  { name: 'a moof bigger than the input', bytes: '00000100 6d6f6f66', error: /does not fit/ },
  { name: 'a box of size 0 inside the moof (it would never end)', bytes: '00000010 6d6f6f66 00000000 74726166', error: /does not fit/ },
  { name: 'a tfhd too short for its track id', bytes: '0000001c 6d6f6f66 00000014 74726166 0000000c 74666864 00020000', error: /too short/ },
  { name: 'a sample past the end', bytes: Buffer.from(good.subarray(0, good.length - 1)).toString('hex'), error: /past the fragment/ },
] as const;

describe('readFragment', () => {
  it('reads back what writeFragment wrote: tracks, decode times beyond 32 bits, samples, sync flags', () => {
    const video = [
      { data: Uint8Array.of(1, 2, 3), duration: 3600, keyFrame: true },
      { data: Uint8Array.of(4), duration: 3601, keyFrame: false },
    ];
    const audio = [{ data: Uint8Array.of(9, 9), duration: 960, keyFrame: true, compositionOffset: 0 }];
    const bytes = writeFragment(7, [
      { trackId: 1, baseMediaDecodeTime: 158_812_380_011_070, samples: video },
      { trackId: 2, baseMediaDecodeTime: 48_000, samples: audio },
    ]);
    const tracks = readFragment(bytes);
    expect(tracks.map((t) => [t.trackId, t.baseMediaDecodeTime])).toEqual([[1, 158_812_380_011_070], [2, 48_000]]);
    expect(tracks[0]!.samples.map((s) => [[...s.data], s.duration, s.keyFrame])).toEqual([[[1, 2, 3], 3600, true], [[4], 3601, false]]);
    expect(tracks[1]!.samples.map((s) => [[...s.data], s.duration])).toEqual([[[9, 9], 960]]);
  });

  it.each(broken)('rejects $name with an Fmp4ReadError', ({ bytes, error }) => {
    expect(() => readFragment(hex(bytes))).toThrow(Fmp4ReadError);
    expect(() => readFragment(hex(bytes))).toThrow(error);
  });

  it('on any bytes, or a fragment with bytes changed, returns views within them or throws Fmp4ReadError (fuzz, seeded by the cases)', () => {
    const check = (bytes: Uint8Array) => {
      try {
        for (const t of readFragment(bytes)) for (const s of t.samples) expect(s.data.length).toBeLessThanOrEqual(bytes.length);
      } catch (err) {
        expect(err).toBeInstanceOf(Fmp4ReadError);
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), check), { numRuns: 500, examples: broken.map((b): [Uint8Array<ArrayBuffer>] => [hex(b.bytes)]) });
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.nat({ max: good.length - 1 }), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }), (edits) => {
        const bytes = Uint8Array.from(good);
        for (const e of edits) bytes[e.at] = e.value;
        check(bytes);
      }),
      { numRuns: 1000 },
    );
  });
});
