import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { joinAnnexB, splitAnnexB } from '../annexb/annexb.js';
import { h264ParameterSets } from './parameter-sets.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const asHex = (units: readonly Uint8Array[]) => units.map((u) => Buffer.from(u).toString('hex'));

const cases = [
  { name: 'a key frame', units: ['09f0', '6742c00d', '68ce', '6588'], sps: ['6742c00d'], pps: ['68ce'] },
  { name: 'two of each', units: ['6742', '6743', '68ce', '68cf', '6588'], sps: ['6742', '6743'], pps: ['68ce', '68cf'] },
  { name: 'a P-frame has none', units: ['419a'], sps: [], pps: [] },
] as const;

describe('h264ParameterSets', () => {
  it.each(cases)('$name', ({ units, sps, pps }) => {
    const fromBytes = h264ParameterSets(joinAnnexB(units.map(hex)));
    const fromUnits = h264ParameterSets(units.map(hex));
    for (const got of [fromBytes, fromUnits]) expect([asHex(got.sps), asHex(got.pps)]).toEqual([sps, pps]);
  });

  it('finds every SPS and PPS of any bytes, as views, whether split or not (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const got = h264ParameterSets(bytes);
        const units = splitAnnexB(bytes);
        expect(asHex(got.sps)).toEqual(asHex(units.filter((u) => (u[0]! & 0x1f) === 7)));
        expect(asHex(got.pps)).toEqual(asHex(units.filter((u) => (u[0]! & 0x1f) === 8)));
        expect(asHex(h264ParameterSets(units).sps)).toEqual(asHex(got.sps));
      }),
      { numRuns: 500, examples: cases.map((c) => [joinAnnexB(c.units.map(hex))]) },
    );
  });
});
