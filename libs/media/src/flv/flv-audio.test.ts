import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flvAacSequenceHeader, flvAudioCodecId, flvAudioFrame, isFlvAudioCodec, type FlvAudioCodec } from './flv-audio.js';

const asHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const cases: ReadonlyArray<{ name: string; codec: FlvAudioCodec; header: string; id: number }> = [
  // SoundFormat 7, rate 0, 16-bit, mono.
  { name: 'G.711 A-law', codec: 'g711a', header: '72', id: 7 },
  { name: 'G.711 µ-law', codec: 'g711u', header: '82', id: 8 },
  // SoundFormat 10, 44 kHz, 16-bit, stereo (E.4.2.1), AACPacketType 1.
  { name: 'AAC raw frame', codec: 'aac', header: 'af01', id: 10 },
];

describe('FLV audio tag bodies', () => {
  it.each(cases)('$name', ({ codec, header, id }) => {
    expect(asHex(flvAudioFrame(codec, Uint8Array.of(1, 2)))).toBe(`${header}0102`);
    expect(flvAudioCodecId(codec)).toBe(id);
    expect(isFlvAudioCodec(codec)).toBe(true);
  });

  it('the AAC sequence header carries the AudioSpecificConfig with AACPacketType 0', () => {
    expect(asHex(flvAacSequenceHeader(Uint8Array.of(0x14, 0x08)))).toBe('af001408');
  });

  it.each(['adpcm', 'g726', 'mp3', 'opus', ''])('%s has no FLV sound format here', (codec) => {
    expect(isFlvAudioCodec(codec)).toBe(false);
  });

  it('is the header then the data unchanged, for any data (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.constantFrom<FlvAudioCodec>('g711a', 'g711u', 'aac'), fc.uint8Array({ maxLength: 400 }), (codec, data) => {
        const body = flvAudioFrame(codec, data);
        const pre = codec === 'aac' ? 2 : 1;
        expect(body.length).toBe(pre + data.length);
        expect(body[0]! >> 4).toBe(flvAudioCodecId(codec));
        expect(asHex(body.subarray(pre))).toBe(asHex(data));
      }),
      { numRuns: 200, examples: cases.map((c): [FlvAudioCodec, Uint8Array] => [c.codec, Uint8Array.of(1, 2)]) },
    );
  });
});
