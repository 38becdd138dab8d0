import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { G726Core } from './g726-core.js';
import type { G726Rate } from './g726-tables.js';

/**
 * A fresh coder (step size y = 544, estimate 0) places a sample among the decision levels of
 * tables 1–4: full scale is the largest magnitude; zero is the smallest negative magnitude
 * (the Recommendation sends no zero code), except at 16 kbit/s, which has no such code.
 */
const CASES: ReadonlyArray<{ rate: G726Rate; positive: number; negative: number; zero: number }> = [
  { rate: 16000, positive: 1, negative: 2, zero: 0 },
  { rate: 24000, positive: 3, negative: 4, zero: 7 },
  { rate: 32000, positive: 7, negative: 8, zero: 15 },
  { rate: 40000, positive: 15, negative: 16, zero: 31 },
];

describe('G.726 coder core (§4.2)', () => {
  for (const c of CASES) {
    it(`${c.rate / 1000} kbit/s: full scale, negative full scale and zero quantize to codes ${c.positive}, ${c.negative}, ${c.zero}`, () => {
      expect(new G726Core(c.rate).quantize(32767)).toBe(c.positive);
      expect(new G726Core(c.rate).quantize(-32768)).toBe(c.negative);
      expect(new G726Core(c.rate).quantize(0)).toBe(c.zero);
      // Reconstruction has the sign of the code.
      expect(new G726Core(c.rate).decodeCode(c.positive)).toBeGreaterThan(0);
      expect(new G726Core(c.rate).decodeCode(c.negative)).toBeLessThan(0);
    });
  }

  it('follows a step up: the reconstruction climbs towards the input', () => {
    const core = new G726Core(32000);
    const out = Array.from({ length: 40 }, () => core.decodeCode(core.quantize(10000)));
    expect(Math.abs(out[39]! - 10000)).toBeLessThan(1000);
    expect(out[39]!).toBeGreaterThan(out[0]!);
  });

  it('any code sequence decodes to 16-bit samples, and any sample quantizes to a code of the rate (fuzz, cases as seeds)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CASES),
        fc.array(fc.oneof(fc.constantFrom(32767, -32768, 0), fc.integer({ min: -32768, max: 32767 })), { maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 300 }),
        (c, samples, codes) => {
          const core = new G726Core(c.rate);
          const bits = core.t.bits;
          for (const s of samples) {
            const code = core.quantize(s);
            expect(code >= 0 && code < 1 << bits).toBe(true);
            const y = core.decodeCode(code);
            expect(y >= -32768 && y <= 32767).toBe(true);
          }
          for (const raw of codes) {
            const y = core.decodeCode(raw & ((1 << bits) - 1));
            expect(Number.isInteger(y) && y >= -32768 && y <= 32767).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
