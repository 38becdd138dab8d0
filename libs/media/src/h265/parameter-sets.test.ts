import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { joinAnnexB, splitAnnexB } from '../annexb/annexb.js';
import { h265ParameterSets } from './parameter-sets.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const asHex = (units: readonly Uint8Array[]) => units.map((u) => Buffer.from(u).toString('hex'));
const type = (u: Uint8Array) => ((u[0] ?? 0) >> 1) & 0x3f;

const cases = [
  { name: 'a key frame', units: ['4601', '4001aa', '4201bb', '4401cc', '2601af'], vps: ['4001aa'], sps: ['4201bb'], pps: ['4401cc'] },
  { name: 'a trailing picture has none', units: ['0201d0'], vps: [], sps: [], pps: [] },
] as const;

describe('h265ParameterSets', () => {
  it.each(cases)('$name', ({ units, vps, sps, pps }) => {
    for (const got of [h265ParameterSets(joinAnnexB(units.map(hex))), h265ParameterSets(units.map(hex))]) {
      expect([asHex(got.vps), asHex(got.sps), asHex(got.pps)]).toEqual([vps, sps, pps]);
    }
  });

  it('finds every VPS, SPS and PPS of any bytes, split or not (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const units = splitAnnexB(bytes);
        const got = h265ParameterSets(bytes);
        for (const [t, list] of [[32, got.vps], [33, got.sps], [34, got.pps]] as const) expect(asHex(list)).toEqual(asHex(units.filter((u) => type(u) === t)));
        expect(asHex(h265ParameterSets(units).pps)).toEqual(asHex(got.pps));
      }),
      { numRuns: 500, examples: cases.map((c) => [joinAnnexB(c.units.map(hex))]) },
    );
  });
});
