import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AUDIO_CODECS, VIDEO_CODECS, isAudioCodec, isVideoCodec } from './codec-name.js';

const cases = [
  { name: 'h264', video: true, audio: false },
  { name: 'h265', video: true, audio: false },
  { name: 'svac', video: true, audio: false },
  { name: 'g711a', video: false, audio: true },
  { name: 'g726', video: false, audio: true },
  { name: 'aac', video: false, audio: true },
  { name: 'opus', video: false, audio: false }, // what the packager makes, not what a device sends
  { name: 'H264', video: false, audio: false }, // names are lower case (DESIGN.md)
  { name: '', video: false, audio: false },
] as const;

describe('codec names', () => {
  it.each(cases)('$name', ({ name, video, audio }) => {
    expect(isVideoCodec(name)).toBe(video);
    expect(isAudioCodec(name)).toBe(audio);
  });

  it('no name is both a video and an audio codec', () => {
    expect(VIDEO_CODECS.filter((c) => isAudioCodec(c))).toEqual([]);
    expect(AUDIO_CODECS.filter((c) => isVideoCodec(c))).toEqual([]);
  });

  it('accepts exactly the listed names, for any string (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 8 }), (name) => {
        expect(isVideoCodec(name)).toBe((VIDEO_CODECS as readonly string[]).includes(name));
        expect(isAudioCodec(name)).toBe((AUDIO_CODECS as readonly string[]).includes(name));
      }),
      { numRuns: 300, examples: cases.map((c): [string] => [c.name]) },
    );
  });
});
