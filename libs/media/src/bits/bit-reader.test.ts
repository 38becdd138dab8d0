import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitReader } from './bit-reader.js';
import { BitstreamError } from './bitstream-error.js';

/** Bits written as text ('0'/'1'), padded with zeros to whole bytes. */
function bits(text: string): Uint8Array {
  const clean = text.replace(/\s/g, '');
  const out = new Uint8Array(Math.ceil(clean.length / 8));
  for (let i = 0; i < clean.length; i++) if (clean[i] === '1') out[i >> 3]! |= 0x80 >> (i & 7);
  return out;
}

/** An independent writer of ue(v) (H.264 §9.1): leading zeros, a one, then the info bits. */
function ueBits(v: number): string {
  const code = (v + 1).toString(2);
  return '0'.repeat(code.length - 1) + code;
}

const seBits = (v: number) => ueBits(v > 0 ? 2 * v - 1 : -2 * v);

// H.264 table 9-2 and 9-3.
const expGolomb = [
  { code: '1', ue: 0, se: 0 },
  { code: '010', ue: 1, se: 1 },
  { code: '011', ue: 2, se: -1 },
  { code: '00100', ue: 3, se: 2 },
  { code: '00101', ue: 4, se: -2 },
  { code: '00111', ue: 6, se: -3 },
  { code: '0001000', ue: 7, se: 4 },
  { code: '000000011111111', ue: 254, se: -127 },
  { code: `${'0'.repeat(31)}1${'1'.repeat(31)}`, ue: 2 ** 32 - 2, se: -(2 ** 31 - 1) },
] as const;

const fixed = [
  { name: 'u(1)', data: '1000 0000', widths: [1], values: [1] },
  { name: 'u(8) across a byte boundary', data: '0000 1111 1111 0000', widths: [4, 8, 4], values: [0, 255, 0] },
  { name: 'u(32) from an odd position', data: '1 11111111 00000000 11111111 0000000 1', widths: [1, 32], values: [1, 0xff00ff01] },
  { name: 'u(0) reads nothing', data: '1010 1010', widths: [0, 3, 0, 5], values: [0, 5, 0, 10] },
] as const;

describe('BitReader', () => {
  it.each(expGolomb)('ue/se of $code', ({ code, ue, se }) => {
    expect(ueBits(ue)).toBe(code);
    const r = new BitReader(bits(code + code));
    expect(r.ue()).toBe(ue);
    expect(r.se()).toBe(se);
    expect(r.position).toBe(2 * code.length);
  });

  it.each(fixed)('$name', ({ data, widths, values }) => {
    const r = new BitReader(bits(data));
    expect(widths.map((w) => r.u(w))).toEqual(values);
  });

  it('flag, skip, position and bits left', () => {
    const r = new BitReader(bits('1 0 111 01'));
    expect(r.flag()).toBe(true);
    expect(r.flag()).toBe(false);
    r.skip(3);
    expect(r.position).toBe(5);
    expect(r.bitsLeft).toBe(3);
  });

  it.each([
    { name: 'u past the end', read: (r: BitReader) => r.u(9), data: '1111 1111' },
    { name: 'skip past the end', read: (r: BitReader) => r.skip(9), data: '1111 1111' },
    { name: 'ue cut short', read: (r: BitReader) => r.ue(), data: '0000 0001' },
    { name: 'ue of 32 leading zeros', read: (r: BitReader) => r.ue(), data: `${'0'.repeat(32)}1${'0'.repeat(32)}` },
    { name: 'anything from nothing', read: (r: BitReader) => r.flag(), data: '' },
  ])('a typed error for $name, naming the context', ({ read, data }) => {
    const r = new BitReader(bits(data), 'test sps');
    expect(() => read(r)).toThrow(BitstreamError);
    expect(() => read(new BitReader(bits(data), 'test sps'))).toThrow(/^test sps: /);
  });

  it('reads back any ue/se/u sequence an independent writer wrote (fuzz, seeded by the table)', () => {
    const field = fc.oneof(
      fc.record({ kind: fc.constant('ue' as const), v: fc.integer({ min: 0, max: 2 ** 32 - 2 }) }),
      fc.record({ kind: fc.constant('se' as const), v: fc.integer({ min: -(2 ** 31 - 1), max: 2 ** 31 - 1 }) }),
      fc.integer({ min: 1, max: 32 }).chain((n) => fc.record({ kind: fc.constant('u' as const), n: fc.constant(n), v: fc.integer({ min: 0, max: 2 ** n - 1 }) })),
    );
    fc.assert(
      fc.property(fc.array(field, { maxLength: 30 }), (fields) => {
        const text = fields.map((f) => (f.kind === 'ue' ? ueBits(f.v) : f.kind === 'se' ? seBits(f.v) : f.v.toString(2).padStart(f.n, '0'))).join('');
        const r = new BitReader(bits(text));
        for (const f of fields) expect(f.kind === 'ue' ? r.ue() : f.kind === 'se' ? r.se() : r.u(f.n)).toBe(f.v);
        expect(r.position).toBe(text.length);
      }),
      { numRuns: 300, examples: [[expGolomb.flatMap((e) => [{ kind: 'ue' as const, v: e.ue }, { kind: 'se' as const, v: e.se }])]] },
    );
  });

  it('on any bytes, reads values in range or throws BitstreamError, never past the end (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(fc.integer({ min: 0, max: 34 }), { maxLength: 40 }), (data, ops) => {
        const r = new BitReader(data);
        try {
          for (const op of ops) {
            if (op === 33) expect(r.ue()).toBeLessThanOrEqual(2 ** 32 - 2);
            else if (op === 34) expect(Math.abs(r.se())).toBeLessThan(2 ** 31);
            else expect(r.u(op)).toBeLessThan(2 ** op);
          }
        } catch (err) {
          expect(err).toBeInstanceOf(BitstreamError);
        }
        expect(r.position).toBeLessThanOrEqual(data.length * 8);
      }),
      { numRuns: 1000, examples: expGolomb.map((e) => [bits(e.code), [33]]) },
    );
  });
});
