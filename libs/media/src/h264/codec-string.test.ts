import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { h264CodecString } from './codec-string.js';
import { parseH264Sps, type H264Sps } from './sps.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

const cases = [
  { name: 'Main 1.3', sps: '674d400dd90141fb011000000300100000030320f142a480', codec: 'avc1.4d400d' },
  { name: 'Constrained Baseline 1.3', sps: '6742c00dd9016096c044000003000400000300c83c50a920', codec: 'avc1.42c00d' },
  { name: 'High 3.1', sps: '6764001facd9405005beab011000000300100000030320f1831960', codec: 'avc1.64001f' },
  { name: 'High 4:2:2 3.0', sps: '677a001ebcd940a03db011000003000100000300320f162d96', codec: 'avc1.7a001e' },
] as const;

describe('h264CodecString (RFC 6381 §3.3)', () => {
  it.each(cases)('$name', ({ sps, codec }) => {
    expect(h264CodecString(parseH264Sps(hex(sps)))).toBe(codec);
  });

  it('is the three bytes after the NAL header, in hex, for any values (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), (profileIdc, constraintFlags, levelIdc) => {
        const sps = { profileIdc, constraintFlags, levelIdc } as H264Sps;
        expect(h264CodecString(sps)).toBe(`avc1.${Buffer.from([profileIdc, constraintFlags, levelIdc]).toString('hex')}`);
      }),
      { numRuns: 300, examples: cases.map((c): [number, number, number] => [hex(c.sps)[1]!, hex(c.sps)[2]!, hex(c.sps)[3]!]) },
    );
  });
});
