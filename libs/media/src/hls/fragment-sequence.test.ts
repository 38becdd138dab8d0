import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PARTS_PER_SEGMENT_NUMBERING, fragmentSequence } from './fragment-sequence.js';

const cases = [
  { name: 'the first part of segment 0 is 1', msn: 0, index: 0, seq: 1 },
  { name: 'parts count within a segment', msn: 0, index: 3, seq: 4 },
  { name: 'the next segment starts 1024 on', msn: 1, index: 0, seq: 1025 },
  { name: 'a segment of more than 1024 parts repeats numbers', msn: 1, index: 1024, seq: 1025 },
  { name: 'a unix-ms segment number wraps within 32 bits', msn: 1_733_300_000_000, index: 2, seq: ((1_733_300_000_000 % 0x40_0000) * 1024 + 3) >>> 0 },
] as const;

describe('fragmentSequence', () => {
  it.each(cases)('$name', ({ msn, index, seq }) => {
    expect(fragmentSequence(msn, index)).toBe(seq);
  });

  it('is a 32-bit number that grows part by part within a segment (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: PARTS_PER_SEGMENT_NUMBERING - 2 }), (msn, index) => {
        const a = fragmentSequence(msn, index);
        expect(Number.isInteger(a) && a >= 0 && a <= 0xffffffff).toBe(true);
        if (msn % 0x40_0000 !== 0x3f_ffff) expect(fragmentSequence(msn, index + 1)).toBe(a + 1);
      }),
      { numRuns: 500, examples: cases.filter((c) => c.index < PARTS_PER_SEGMENT_NUMBERING - 1).map((c): [number, number] => [c.msn, c.index]) },
    );
  });
});
