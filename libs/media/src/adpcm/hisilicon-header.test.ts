import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stripHisiliconHeader } from './hisilicon-header.js';

const b = (...v: number[]) => Uint8Array.from(v);

const CASES = [
  { name: 'a header whose count matches: removed', body: b(0, 1, 2, 0, 9, 8, 7, 6), payload: b(9, 8, 7, 6) },
  { name: 'count off by one: kept', body: b(0, 1, 3, 0, 9, 8, 7, 6), payload: b(0, 1, 3, 0, 9, 8, 7, 6) },
  { name: 'no payload after it: kept', body: b(0, 1, 0, 0), payload: b(0, 1, 0, 0) },
  { name: 'reserved byte set: kept', body: b(0, 1, 1, 1, 5, 5), payload: b(0, 1, 1, 1, 5, 5) },
  { name: 'plain audio', body: b(0xd5, 0xd5), payload: b(0xd5, 0xd5) },
];

describe('HiSilicon audio header', () => {
  for (const c of CASES) it(c.name, () => expect(stripHisiliconHeader(c.body)).toEqual(c.payload));

  it('removes exactly 4 bytes or none, as a view (fuzz, cases as seeds)', () => {
    const body = fc.oneof(
      fc.constantFrom(...CASES.map((c) => c.body)),
      fc.uint8Array({ maxLength: 300 }),
      fc.uint8Array({ minLength: 1, maxLength: 127 }).map((p) => b(0, 1, p.length, 0, ...p, ...p)),
    );
    fc.assert(
      fc.property(body, (x) => {
        const out = stripHisiliconHeader(x);
        expect(out.buffer).toBe(x.buffer);
        expect([0, 4]).toContain(x.length - out.length);
        if (out.length !== x.length) expect(x[2]! * 2).toBe(out.length);
      }),
      { numRuns: 1000 },
    );
  });
});
