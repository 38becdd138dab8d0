import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LengthPrefixedError, lengthPrefixed, splitLengthPrefixed } from './length-prefixed.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const asHex = (units: readonly Uint8Array[]) => units.map((u) => Buffer.from(u).toString('hex'));

const cases = [
  { name: 'one unit', units: ['6588'], bytes: '00000002 6588' },
  { name: 'three units', units: ['06ff', '65', '41aabb'], bytes: '00000002 06ff 00000001 65 00000003 41aabb' },
  { name: 'an empty unit keeps its length', units: ['', '65'], bytes: '00000000 00000001 65' },
  { name: 'no units', units: [], bytes: '' },
] as const;

const broken = [
  { name: 'a length cut short', bytes: '000000' },
  { name: 'a unit longer than what is left', bytes: '00000005 6588' },
  { name: 'a 4 GiB length', bytes: 'ffffffff 00' },
] as const;

describe('lengthPrefixed / splitLengthPrefixed', () => {
  it.each(cases)('$name', ({ units, bytes }) => {
    expect(Buffer.from(lengthPrefixed(units.map(hex))).toString('hex')).toBe(bytes.replace(/\s/g, ''));
    expect(asHex(splitLengthPrefixed(hex(bytes)))).toEqual(units);
  });

  it.each(broken)('rejects $name with a typed error', ({ bytes }) => {
    expect(() => splitLengthPrefixed(hex(bytes))).toThrow(LengthPrefixedError);
  });

  it('round-trips any units, and reading garbage throws only LengthPrefixedError (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 10 }), (units) => {
        const sample = lengthPrefixed(units);
        expect(sample.length).toBe(units.reduce((n, u) => n + 4 + u.length, 0));
        expect(asHex(splitLengthPrefixed(sample))).toEqual(asHex(units));
      }),
      { numRuns: 300, examples: cases.map((c) => [c.units.map(hex)]) },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (bytes) => {
        try {
          const units = splitLengthPrefixed(bytes);
          expect(units.reduce((n, u) => n + u.length, 0)).toBeLessThanOrEqual(bytes.length);
        } catch (err) {
          expect(err).toBeInstanceOf(LengthPrefixedError);
        }
      }),
      { numRuns: 500, examples: [...cases, ...broken].map((c) => [hex(c.bytes)]) },
    );
  });
});
