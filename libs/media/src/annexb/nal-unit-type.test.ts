import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { h264NalType, h265NalType } from './nal-unit-type.js';

// First bytes of real NAL units (H.264 table 7-1, H.265 table 7-1).
const cases = [
  { name: 'H.264 SPS', header: 0x67, h264: 7, h265: 51 },
  { name: 'H.264 PPS', header: 0x68, h264: 8, h265: 52 },
  { name: 'H.264 IDR slice', header: 0x65, h264: 5, h265: 50 },
  { name: 'H.264 non-IDR slice, nal_ref_idc 2', header: 0x41, h264: 1, h265: 32 },
  { name: 'H.265 VPS', header: 0x40, h264: 0, h265: 32 },
  { name: 'H.265 SPS', header: 0x42, h264: 2, h265: 33 },
  { name: 'H.265 IDR_W_RADL', header: 0x26, h264: 6, h265: 19 },
  { name: 'H.265 CRA', header: 0x2a, h264: 10, h265: 21 },
] as const;

describe('NAL unit types', () => {
  it.each(cases)('$name', ({ header, h264, h265 }) => {
    expect(h264NalType(Uint8Array.of(header, 0x01))).toBe(h264);
    expect(h265NalType(Uint8Array.of(header, 0x01))).toBe(h265);
  });

  it('an empty unit has type 0', () => {
    expect(h264NalType(new Uint8Array(0))).toBe(0);
    expect(h265NalType(new Uint8Array(0))).toBe(0);
  });

  it('stays within the field width for any bytes (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4 }), (unit) => {
        expect(h264NalType(unit)).toBeLessThan(32);
        expect(h265NalType(unit)).toBeLessThan(64);
      }),
      { numRuns: 300, examples: cases.map((c) => [Uint8Array.of(c.header)]) },
    );
  });
});
