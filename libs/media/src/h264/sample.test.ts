import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitLengthPrefixed } from '../annexb/length-prefixed.js';
import { h264Sample } from './sample.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const asHex = (units: readonly Uint8Array[]) => units.map((u) => Buffer.from(u).toString('hex'));

const cases = [
  { name: 'AUD, SPS, PPS dropped; SEI and IDR kept', units: ['09f0', '6742c0', '68ce', '0605ff', '6588aa'], kept: ['0605ff', '6588aa'] },
  { name: 'a P-frame passes whole', units: ['419a01', '419a02'], kept: ['419a01', '419a02'] },
  { name: 'nothing but parameter sets: an empty sample', units: ['6742c0', '68ce'], kept: [] },
] as const;

describe('h264Sample', () => {
  it.each(cases)('$name', ({ units, kept }) => {
    expect(asHex(splitLengthPrefixed(h264Sample(units.map(hex))))).toEqual(kept);
  });

  it('keeps every NAL unit but AUD/SPS/PPS, in order, 4 bytes longer each (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 100 }), { maxLength: 10 }), (units) => {
        const kept = units.filter((u) => ![7, 8, 9].includes(u[0]! & 0x1f));
        const sample = h264Sample(units);
        expect(sample.length).toBe(kept.reduce((n, u) => n + 4 + u.length, 0));
        expect(asHex(splitLengthPrefixed(sample))).toEqual(asHex(kept));
      }),
      { numRuns: 300, examples: cases.map((c) => [c.units.map(hex)]) },
    );
  });
});
