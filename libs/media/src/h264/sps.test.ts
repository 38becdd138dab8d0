import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitstreamError } from '../bits/bitstream-error.js';
import { parseH264Sps } from './sps.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

/**
 * Real SPS NAL units: from the captures under testdata/ and from libx264 streams of testsrc, each
 * with what ffprobe reads from the same stream (profile, level, size).
 */
const cases = [
  { name: 'testdata/media/h264-g711u.bin: Main 1.3, 320x240, emulation prevention inside', sps: '674d400dd90141fb011000000300100000030320f142a480', profile: 77, level: 13, width: 320, height: 240, chroma: 1, bitDepth: 8, frameMbsOnly: true, fps: 25 },
  { name: 'testdata/jt1078 captures: High 3.0, 720x576, 24000/1001 fps', sps: '6764001eacb2016824dff802000168800001f480005dc0078b1724', profile: 100, level: 30, width: 720, height: 576, chroma: 1, bitDepth: 8, frameMbsOnly: true, fps: 24000 / 1001 },
  { name: 'Constrained Baseline 1.3, 352x288', sps: '6742c00dd9016096c044000003000400000300c83c50a920', profile: 66, level: 13, width: 352, height: 288, chroma: 1, bitDepth: 8, frameMbsOnly: true, fps: 25 },
  { name: 'High 3.1, 1278x718 (cropped from 1280x720)', sps: '6764001facd9405005beab011000000300100000030320f1831960', profile: 100, level: 31, width: 1278, height: 718, chroma: 1, bitDepth: 8, frameMbsOnly: true, fps: 25 },
  { name: 'High 4:2:2 3.0, 640x480', sps: '677a001ebcd940a03db011000003000100000300320f162d96', profile: 122, level: 30, width: 640, height: 480, chroma: 2, bitDepth: 8, frameMbsOnly: true, fps: 25 },
  { name: 'High 10 1.1, 176x144, 10-bit', sps: '676e000ba6cd942c4ec044000003000400000300c83c50a658', profile: 110, level: 11, width: 176, height: 144, chroma: 1, bitDepth: 10, frameMbsOnly: true, fps: 25 },
  { name: 'High 3.0 interlaced, 720x576 (field pairs)', sps: '6764001eacd940b424d8088000000300800000190f8a14cb', profile: 100, level: 30, width: 720, height: 576, chroma: 1, bitDepth: 8, frameMbsOnly: false, fps: 25 },
] as const;

const rejected = [
  { name: 'a PPS', nal: '68ebe3cb22c0' },
  { name: 'an SPS cut after the level', nal: '6742c00d' },
  { name: 'an SPS cut before the picture size', nal: '6742c00dd901' },
  { name: 'chroma_format_idc 4', nal: '6764001e 94' },
  { name: 'nothing', nal: '' },
] as const;

describe('parseH264Sps', () => {
  it.each(cases)('$name', ({ sps, profile, level, width, height, chroma, bitDepth, frameMbsOnly, fps }) => {
    const parsed = parseH264Sps(hex(sps));
    expect(parsed).toMatchObject({ profileIdc: profile, levelIdc: level, width, height, chromaFormatIdc: chroma, bitDepthLuma: bitDepth, bitDepthChroma: bitDepth, frameMbsOnly, spsId: 0 });
    expect(parsed.fps).toBeCloseTo(fps, 9);
  });

  it('leaves fps out when the VUI is cut short: the picture size does not need it', () => {
    const sps = hex(cases[2].sps);
    const parsed = parseH264Sps(sps.subarray(0, 12));
    expect([parsed.width, parsed.height, parsed.fps]).toEqual([352, 288, undefined]);
  });

  it.each(rejected)('rejects $name with a BitstreamError', ({ nal }) => {
    expect(() => parseH264Sps(hex(nal))).toThrow(BitstreamError);
  });

  it('on any bytes after an SPS header, gives a picture within the levels or a BitstreamError (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (body) => {
        const nal = new Uint8Array(body.length + 1);
        nal[0] = 0x67;
        nal.set(body, 1);
        try {
          const sps = parseH264Sps(nal);
          for (const side of [sps.width, sps.height]) {
            expect(side).toBeGreaterThan(0);
            expect(side).toBeLessThanOrEqual(1055 * 16);
          }
          expect(sps.bitDepthLuma).toBeLessThanOrEqual(14);
          expect(sps.chromaFormatIdc).toBeLessThanOrEqual(3);
        } catch (err) {
          expect(err).toBeInstanceOf(BitstreamError);
        }
      }),
      { numRuns: 1000, examples: [...cases.map((c) => c.sps), ...rejected.map((r) => r.nal)].map((s) => [hex(s).subarray(1)]) },
    );
  });
});
