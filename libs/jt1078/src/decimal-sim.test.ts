import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bcdNibbles, decimalSim } from './decimal-sim.js';

const CASES = [
  { name: '2016 SIM, leading zero kept', bcd: '013912345678', sim: '013912345678' },
  { name: '2019 SIM, 20 digits', bcd: '00000000156987000796', sim: '00000000156987000796' },
  { name: 'F padding at the end dropped', bcd: '01390000080F', sim: '01390000080' },
  { name: 'F padding at the start dropped', bcd: 'FF0139000008', sim: '0139000008' },
  { name: 'a hex digit inside', bcd: '0139A0000801', sim: undefined },
  { name: 'F inside', bcd: '0139F0000801', sim: undefined },
  { name: 'all padding', bcd: 'FFFFFFFFFFFF', sim: undefined },
];

describe('SIMs (table 19 BCD)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const bytes = Uint8Array.from(Buffer.from(`ee${c.bcd}`, 'hex'));
      const nibbles = bcdNibbles(bytes, 1, c.bcd.length / 2);
      expect(nibbles).toBe(c.bcd);
      expect(decimalSim(nibbles)).toBe(c.sim);
    });
  }

  it('names a SIM of digits only, or none, for any bytes (fuzz, cases as seeds)', () => {
    const bytes = fc.oneof(
      fc.constantFrom(...CASES.map((c) => Uint8Array.from(Buffer.from(c.bcd, 'hex')))),
      fc.uint8Array({ minLength: 6, maxLength: 10 }),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        const nibbles = bcdNibbles(b, 0, b.length);
        expect(nibbles).toBe(Buffer.from(b).toString('hex').toUpperCase());
        const sim = decimalSim(nibbles);
        if (sim !== undefined) {
          expect(sim).toMatch(/^\d+$/);
          expect(nibbles).toContain(sim);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
