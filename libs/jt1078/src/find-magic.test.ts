import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findMagic } from './find-magic.js';

const b = (...v: number[]) => Uint8Array.from(v);
const M = [0x30, 0x31, 0x63, 0x64];

const CASES = [
  { name: 'magic at the start', bytes: b(...M, 1), from: 0, at: 0 },
  { name: 'after garbage', bytes: b(9, 0x30, 0x30, ...M), from: 0, at: 3 },
  { name: 'a later one, searching from past the first', bytes: b(...M, ...M), from: 1, at: 4 },
  { name: 'none', bytes: b(0x30, 0x31, 0x63, 0x65, 0), from: 0, at: -1 },
  { name: 'a prefix ending the buffer may be one', bytes: b(7, 0x30, 0x31, 0x63), from: 0, at: 1 },
  { name: 'a lone 0x30 at the end may be one', bytes: b(7, 7, 0x30), from: 0, at: 2 },
  { name: 'a broken prefix at the end is not', bytes: b(7, 0x30, 0x32), from: 0, at: -1 },
  { name: 'empty', bytes: b(), from: 0, at: -1 },
];

/** Plainly: the first i ≥ from where the magic (or a prefix of it cut by the end) starts. */
function reference(buf: Uint8Array, from: number): number {
  for (let i = from; i < buf.length; i++) {
    let ok = true;
    for (let k = 0; k < 4 && i + k < buf.length; k++) if (buf[i + k] !== M[k]) ok = false;
    if (ok) return i;
  }
  return -1;
}

describe('findMagic', () => {
  for (const c of CASES) {
    it(c.name, () => expect(findMagic(c.bytes, c.from)).toBe(c.at));
  }

  it('agrees with a plain search on any bytes (fuzz, cases as seeds)', () => {
    const bytes = fc.oneof(
      fc.constantFrom(...CASES.map((c) => c.bytes)),
      fc.array(fc.constantFrom(0x30, 0x31, 0x63, 0x64, 0x00), { maxLength: 64 }).map((a) => Uint8Array.from(a)),
      fc.uint8Array({ maxLength: 64 }),
    );
    fc.assert(
      fc.property(bytes, fc.nat({ max: 70 }), (buf, from) => {
        const at = findMagic(buf, from);
        expect(at).toBe(reference(buf, from));
        expect(at).toBeLessThan(buf.length);
      }),
      { numRuns: 2000 },
    );
  });
});
