import { describe, expect, it } from 'vitest';
import { readFragment, writeFragment } from './index.js';

describe('fMP4 fragments', () => {
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
    expect(() => readFragment(Uint8Array.of(0, 0, 0, 8, 0x6d, 0x64, 0x61, 0x74))).toThrow(/moof/);
  });
});
