import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { segmentOf } from './segment.js';

const ENDS = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

const CASES = [
  { v: 0, seg: 0 },
  { v: 0x1f, seg: 0 },
  { v: 0x20, seg: 1 },
  { v: 0x800, seg: 7 },
  { v: 0xfff, seg: 7 },
  { v: 0x1000, seg: 8 },
];

describe('G.711 segment search', () => {
  for (const c of CASES) it(`${c.v} is in segment ${c.seg}`, () => expect(segmentOf(c.v, ENDS)).toBe(c.seg));

  it('is the first segment whose end reaches the value (fuzz, cases as seeds)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...CASES.map((c) => c.v)), fc.integer({ min: -10, max: 0x2000 })), (v) => {
        const s = segmentOf(v, ENDS);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(8);
        if (s < 8) expect(v).toBeLessThanOrEqual(ENDS[s]!);
        if (s > 0) expect(v).toBeGreaterThan(ENDS[s - 1]!);
      }),
      { numRuns: 500 },
    );
  });
});
