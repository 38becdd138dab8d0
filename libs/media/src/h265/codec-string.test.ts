import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { h265CodecString } from './codec-string.js';
import type { ProfileTierLevel } from './profile-tier-level.js';
import { parseH265Sps, type H265Sps } from './sps.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

const cases = [
  { name: 'Main 2.1', sps: '42010101600000030090000003000003003fa00502016965959a4932bc05a02000000300200000030321', codec: 'hvc1.1.6.L63.90' },
  { name: 'Main 10 3.1', sps: '42010102200000030090000003000003005da00280802d1d5365959a4932bc05a02000000300200000030321', codec: 'hvc1.2.4.L93.90' },
] as const;

const ptlCases = [
  { name: 'high tier, profile space B, two constraint bytes', ptl: { profileSpace: 2, tierFlag: 1, profileIdc: 4, compatibilityFlags: 0x08000000, constraintFlags: Uint8Array.of(0xb0, 0x08, 0, 0, 0, 0), levelIdc: 120 }, codec: 'hvc1.B4.10.H120.B0.8' },
  { name: 'no constraint flags at all', ptl: { profileSpace: 0, tierFlag: 0, profileIdc: 1, compatibilityFlags: 0x40000000, constraintFlags: new Uint8Array(6), levelIdc: 30 }, codec: 'hvc1.1.2.L30' },
] as const;

describe('h265CodecString (ISO/IEC 14496-15 E.3)', () => {
  it.each(cases)('$name', ({ sps, codec }) => {
    expect(h265CodecString(parseH265Sps(hex(sps)))).toBe(codec);
  });

  it.each(ptlCases)('$name', ({ ptl, codec }) => {
    expect(h265CodecString({ ptl } as H265Sps)).toBe(codec);
  });

  it('has five dot-separated fields or more, and no trailing zero constraint byte, for any profile_tier_level (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(
        fc.record({ profileSpace: fc.integer({ min: 0, max: 3 }), tierFlag: fc.integer({ min: 0, max: 1 }), profileIdc: fc.integer({ min: 0, max: 31 }), compatibilityFlags: fc.integer({ min: 0, max: 0xffffffff }), constraintFlags: fc.uint8Array({ minLength: 6, maxLength: 6 }), levelIdc: fc.integer({ min: 0, max: 255 }) }),
        (ptl) => {
          const s = h265CodecString({ ptl } as H265Sps);
          expect(s).toMatch(/^hvc1\.[ABC]?\d+\.[0-9A-F]+\.[LH]\d+(\.[0-9A-F]{1,2})*$/);
          expect(s.split('.').length).toBeLessThanOrEqual(4 + 6);
          expect(s.endsWith('.0')).toBe(false);
        },
      ),
      { numRuns: 500, examples: ptlCases.map((c): [ProfileTierLevel & { constraintFlags: Uint8Array<ArrayBuffer> }] => [{ ...c.ptl }]) },
    );
  });
});
