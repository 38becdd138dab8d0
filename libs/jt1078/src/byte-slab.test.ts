import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocBytes } from './byte-slab.js';

const CASES = [
  { name: 'an audio frame', sizes: [160] },
  { name: 'odd sizes stay 8-byte aligned', sizes: [1, 3, 950, 7] },
  { name: 'a piece of exactly the largest slab size', sizes: [128 * 1024] },
  { name: 'a big I-frame gets its own buffer', sizes: [128 * 1024 + 1, 2 * 1024 * 1024] },
  { name: 'enough to roll over to a new slab', sizes: Array.from({ length: 20 }, () => 100 * 1024) },
  { name: 'empty', sizes: [0, 0] },
];

/** Allocates `sizes`, fills each piece with its own byte, and checks none was overwritten. */
function allocateAndCheck(sizes: readonly number[]): Uint8Array[] {
  const pieces = sizes.map((size, i) => {
    const p = allocBytes(size);
    expect(p.length).toBe(size);
    if (size <= 128 * 1024) expect(p.byteOffset % 8).toBe(0);
    else expect(p.byteLength).toBe(p.buffer.byteLength);
    p.fill((i % 255) + 1);
    return p;
  });
  pieces.forEach((p, i) => expect(Buffer.compare(p, Buffer.alloc(p.length, (i % 255) + 1))).toBe(0));
  return pieces;
}

describe('allocBytes', () => {
  for (const c of CASES) it(c.name, () => void allocateAndCheck(c.sizes));

  it('pieces never overlap, whatever the sizes (fuzz, cases as seeds)', () => {
    const sizes = fc.oneof(fc.constantFrom(...CASES.map((c) => c.sizes)), fc.array(fc.integer({ min: 0, max: 200 * 1024 }), { maxLength: 30 }));
    fc.assert(fc.property(sizes, (s) => void allocateAndCheck(s)), { numRuns: 50 });
  });
});
