import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitAnnexB } from './annexb.js';
import { isRandomAccess, isRandomAccessUnits } from './is-random-access.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

const cases = [
  { name: 'H.264 AUD, SPS, PPS, IDR', codec: 'h264', au: '00000001 09f0 00000001 6742c0 00000001 68ce 00000001 6588', key: true },
  { name: 'H.264 non-IDR slice', codec: 'h264', au: '00000001 09f0 000001 419a', key: false },
  { name: 'H.264 SEI then IDR (3-byte start codes)', codec: 'h264', au: '000001 0605 000001 6588', key: true },
  { name: 'H.264 parameter sets only', codec: 'h264', au: '00000001 6742 00000001 68ce', key: false },
  { name: 'H.265 VPS, SPS, PPS, IDR_W_RADL', codec: 'h265', au: '00000001 4001 00000001 4201 00000001 4401 00000001 2601af', key: true },
  { name: 'H.265 CRA', codec: 'h265', au: '00000001 2a01af', key: true },
  { name: 'H.265 BLA_W_LP', codec: 'h265', au: '00000001 2001af', key: true },
  { name: 'H.265 TRAIL_R', codec: 'h265', au: '00000001 4601 00000001 0201d0', key: false },
  { name: 'H.265 prefix SEI only', codec: 'h265', au: '00000001 4e01', key: false },
  { name: 'nothing', codec: 'h264', au: '', key: false },
] as const;

describe('isRandomAccess', () => {
  it.each(cases)('$name', ({ codec, au, key }) => {
    expect(isRandomAccess(codec, hex(au))).toBe(key);
    expect(isRandomAccessUnits(codec, splitAnnexB(hex(au)))).toBe(key);
  });

  it('the byte scan and the unit scan agree on any bytes (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.constantFrom('h264' as const, 'h265' as const), fc.uint8Array({ maxLength: 400 }), (codec, bytes) => {
        // Bytes before the first start code are no NAL unit to the scan; splitAnnexB keeps a buffer with none whole.
        const units = splitAnnexB(bytes);
        const hasStartCode = Buffer.from(bytes).includes(Buffer.from([0, 0, 1]));
        if (hasStartCode) expect(isRandomAccess(codec, bytes)).toBe(isRandomAccessUnits(codec, units));
        else expect(isRandomAccess(codec, bytes)).toBe(false);
      }),
      { numRuns: 1000, examples: cases.map((c) => [c.codec, hex(c.au)] as ['h264' | 'h265', Uint8Array]) },
    );
  });
});
