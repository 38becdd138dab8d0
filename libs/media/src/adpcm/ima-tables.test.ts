import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INDEX_TABLE, STEP_TABLE, clampIndex, clampSample } from './ima-tables.js';

const CASES = [
  { v: 40000, sample: 32767, index: 88 },
  { v: -40000, sample: -32768, index: 0 },
  { v: 0, sample: 0, index: 0 },
  { v: 88, sample: 88, index: 88 },
  { v: 89, sample: 89, index: 88 },
];

describe('IMA ADPCM tables', () => {
  it('has 89 steps from 7 to 32767, rising about 10 % each', () => {
    expect(STEP_TABLE).toHaveLength(89);
    expect([STEP_TABLE[0], STEP_TABLE[88]]).toEqual([7, 32767]);
    for (let i = 1; i < 89; i++) expect(STEP_TABLE[i]! / STEP_TABLE[i - 1]!).toBeGreaterThan(1.05);
    expect(INDEX_TABLE).toEqual([-1, -1, -1, -1, 2, 4, 6, 8, -1, -1, -1, -1, 2, 4, 6, 8]);
  });

  for (const c of CASES) {
    it(`clamps ${c.v}`, () => {
      expect(clampSample(c.v)).toBe(c.sample);
      expect(clampIndex(c.v)).toBe(c.index);
    });
  }

  it('clamps any value into range, leaving values in range alone (fuzz, cases as seeds)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...CASES.map((c) => c.v)), fc.integer({ min: -1e6, max: 1e6 })), (v) => {
        const s = clampSample(v);
        expect(s >= -32768 && s <= 32767).toBe(true);
        if (v >= -32768 && v <= 32767) expect(s).toBe(v);
        const i = clampIndex(v);
        expect(i >= 0 && i <= 88).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
