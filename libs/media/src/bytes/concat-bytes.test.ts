import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes } from './concat-bytes.js';

const cases = [
  { name: 'nothing', parts: [], joined: [] },
  { name: 'one part', parts: [[1, 2, 3]], joined: [1, 2, 3] },
  { name: 'empty parts between', parts: [[], [1], [], [2, 3], []], joined: [1, 2, 3] },
  { name: 'several parts in order', parts: [[9], [8, 7], [6, 5, 4]], joined: [9, 8, 7, 6, 5, 4] },
] as const;

describe('concatBytes', () => {
  it.each(cases)('$name', ({ parts, joined }) => {
    expect([...concatBytes(parts.map((p) => Uint8Array.from(p)))]).toEqual(joined);
  });

  it('copies: the result shares no memory with its parts', () => {
    const part = Uint8Array.of(1, 2);
    const out = concatBytes([part]);
    part[0] = 9;
    expect(out[0]).toBe(1);
  });

  it('holds every byte of every part, in order, and no more (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 12 }), (parts) => {
        const out = concatBytes(parts);
        expect(out.length).toBe(parts.reduce((n, p) => n + p.length, 0));
        expect(Buffer.from(out).equals(Buffer.concat(parts))).toBe(true);
      }),
      { numRuns: 300, examples: cases.map((c) => [c.parts.map((p) => Uint8Array.from(p))]) },
    );
  });
});
