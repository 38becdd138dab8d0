import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitLengthPrefixed } from '../annexb/length-prefixed.js';
import { h265Sample } from './sample.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const asHex = (units: readonly Uint8Array[]) => units.map((u) => Buffer.from(u).toString('hex'));
const type = (u: Uint8Array) => ((u[0] ?? 0) >> 1) & 0x3f;

const cases = [
  { name: 'AUD, VPS, SPS, PPS dropped; SEI and IDR kept', units: ['4601', '4001', '4201', '4401', '4e01ff', '2601af'], kept: ['4e01ff', '2601af'] },
  { name: 'a trailing picture passes whole', units: ['0201d0'], kept: ['0201d0'] },
  { name: 'nothing but parameter sets', units: ['4001', '4201', '4401'], kept: [] },
] as const;

describe('h265Sample', () => {
  it.each(cases)('$name', ({ units, kept }) => {
    expect(asHex(splitLengthPrefixed(h265Sample(units.map(hex))))).toEqual(kept);
  });

  it('keeps every NAL unit but AUD/VPS/SPS/PPS, in order (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 2, maxLength: 100 }), { maxLength: 10 }), (units) => {
        const kept = units.filter((u) => ![32, 33, 34, 35].includes(type(u)));
        const sample = h265Sample(units);
        expect(sample.length).toBe(kept.reduce((n, u) => n + 4 + u.length, 0));
        expect(asHex(splitLengthPrefixed(sample))).toEqual(asHex(kept));
      }),
      { numRuns: 300, examples: cases.map((c) => [c.units.map(hex)]) },
    );
  });
});
