import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitstreamError } from '../bits/bitstream-error.js';
import { parseH265Sps } from './sps.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

/** Real SPS NAL units: testdata/media/h265-aac.bin and libx265 streams of testsrc, with what ffprobe reads from each. */
const cases = [
  { name: 'testdata/media/h265-aac.bin: Main, level 2 (60), 320x240', sps: '42010101600000030090000003000003003ca00a080f16592a4932bc05a0200000030020000003032100'.slice(0, -2), profile: 1, level: 60, width: 320, height: 240, bitDepth: 8 },
  { name: 'Main, level 2.1 (63), 640x360', sps: '42010101600000030090000003000003003fa00502016965959a4932bc05a02000000300200000030321', profile: 1, level: 63, width: 640, height: 360, bitDepth: 8 },
  { name: 'Main 10, level 3.1 (93), 1278x718 inside the conformance window', sps: '42010102200000030090000003000003005da00280802d1d5365959a4932bc05a02000000300200000030321', profile: 2, level: 93, width: 1278, height: 718, bitDepth: 10 },
] as const;

const rejected = [
  { name: 'a VPS', nal: '40010c01ffff01600000030090000003000003003f959809' },
  { name: 'an SPS cut inside profile_tier_level', nal: '420101016000000300' },
  { name: 'an SPS cut before the picture size', nal: '42010101600000030090000003000003003fa0' },
  { name: 'nothing', nal: '' },
] as const;

describe('parseH265Sps', () => {
  it.each(cases)('$name', ({ sps, profile, level, width, height, bitDepth }) => {
    const parsed = parseH265Sps(hex(sps));
    expect(parsed).toMatchObject({ width, height, chromaFormatIdc: 1, bitDepthLuma: bitDepth, bitDepthChroma: bitDepth, maxSubLayersMinus1: 0, temporalIdNesting: true });
    expect(parsed.ptl).toMatchObject({ profileSpace: 0, tierFlag: 0, profileIdc: profile, levelIdc: level });
  });

  it.each(rejected)('rejects $name with a BitstreamError', ({ nal }) => {
    expect(() => parseH265Sps(hex(nal))).toThrow(BitstreamError);
  });

  it('on any bytes after an SPS header, gives a picture within the levels or a BitstreamError (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (body) => {
        const nal = new Uint8Array(body.length + 2);
        nal.set([0x42, 0x01]);
        nal.set(body, 2);
        try {
          const sps = parseH265Sps(nal);
          for (const side of [sps.width, sps.height]) {
            expect(side).toBeGreaterThan(0);
            expect(side).toBeLessThanOrEqual(16888);
          }
          expect(sps.chromaFormatIdc).toBeLessThanOrEqual(3);
          expect(sps.bitDepthLuma).toBeLessThanOrEqual(16);
        } catch (err) {
          expect(err).toBeInstanceOf(BitstreamError);
        }
      }),
      { numRuns: 1000, examples: [...cases.map((c) => c.sps), ...rejected.map((r) => r.nal)].map((s) => [hex(s).subarray(2)]) },
    );
  });
});
