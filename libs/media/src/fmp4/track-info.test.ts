import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VIDEO_TIMESCALE, timescaleOf, type TrackInfo } from './track-info.js';

const video = { kind: 'video', id: 1, codec: 'h264', width: 320, height: 240, configRecord: new Uint8Array(0) } as const;
const cases: ReadonlyArray<{ name: string; track: TrackInfo; timescale: number }> = [
  { name: 'video runs on the 90 kHz clock', track: video, timescale: VIDEO_TIMESCALE },
  { name: 'Opus on its 48 kHz', track: { kind: 'audio', id: 2, codec: 'opus', sampleRate: 48000, channels: 1 }, timescale: 48000 },
  { name: 'AAC on its sample rate', track: { kind: 'audio', id: 2, codec: 'aac', sampleRate: 16000, channels: 1 }, timescale: 16000 },
];

describe('timescaleOf', () => {
  it.each(cases)('$name', ({ track, timescale }) => {
    expect(timescaleOf(track)).toBe(timescale);
  });

  it('an audio track ticks at its sample rate, whatever it is (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 384000 }), (sampleRate) => {
        expect(timescaleOf({ kind: 'audio', id: 2, codec: 'aac', sampleRate, channels: 2 })).toBe(sampleRate);
      }),
      { numRuns: 100, examples: [[8000], [48000]] },
    );
  });
});
