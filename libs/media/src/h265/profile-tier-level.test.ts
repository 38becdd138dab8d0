import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitReader } from '../bits/bit-reader.js';
import { BitstreamError } from '../bits/bitstream-error.js';
import { readProfileTierLevel } from './profile-tier-level.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

// general_profile_space(2) tier(1) profile_idc(5) | compatibility(32) | constraints(48) | level(8), then sub-layers.
const cases = [
  { name: 'Main, level 63, no sub-layers', bytes: '01 60000000 900000000000 3f', subLayers: 0, ptl: { profileSpace: 0, tierFlag: 0, profileIdc: 1, compatibilityFlags: 0x60000000, levelIdc: 63 }, bits: 96 },
  { name: 'Main 10 high tier, level 93', bytes: '22 20000000 900000000000 5d', subLayers: 0, ptl: { profileSpace: 0, tierFlag: 1, profileIdc: 2, compatibilityFlags: 0x20000000, levelIdc: 93 }, bits: 96 },
  // One sub-layer with profile and level present: 2 flags, 7×2 reserved bits, 88 + 8 bits skipped.
  { name: 'one sub-layer with its profile and level', bytes: `01 60000000 900000000000 3f c000 ${'00'.repeat(12)}`, subLayers: 1, ptl: { profileIdc: 1, levelIdc: 63 }, bits: 96 + 16 + 96 },
  { name: 'profile space 1', bytes: '41 00000000 000000000000 1e', subLayers: 0, ptl: { profileSpace: 1, profileIdc: 1, levelIdc: 30 }, bits: 96 },
] as const;

describe('readProfileTierLevel', () => {
  it.each(cases)('$name', ({ bytes, subLayers, ptl, bits }) => {
    const r = new BitReader(hex(bytes));
    expect(readProfileTierLevel(r, subLayers)).toMatchObject(ptl);
    expect(r.position).toBe(bits);
  });

  it('reads any bytes for any sub-layer count, or throws BitstreamError (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), fc.integer({ min: 0, max: 7 }), (bytes, subLayers) => {
        const r = new BitReader(bytes);
        try {
          const ptl = readProfileTierLevel(r, subLayers);
          expect(ptl.profileIdc).toBeLessThan(32);
          expect(ptl.constraintFlags).toHaveLength(6);
        } catch (err) {
          expect(err).toBeInstanceOf(BitstreamError);
        }
      }),
      { numRuns: 500, examples: cases.map((c): [Uint8Array, number] => [hex(c.bytes), c.subLayers]) },
    );
  });
});
