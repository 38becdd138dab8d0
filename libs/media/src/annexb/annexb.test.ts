import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { joinAnnexB, splitAnnexB } from './annexb.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const asHex = (units: readonly Uint8Array[]) => units.map((u) => Buffer.from(u).toString('hex'));

const cases = [
  { name: '4-byte start codes', input: '00000001 6742 00000001 68ce 00000001 6588', units: ['6742', '68ce', '6588'] },
  { name: '3-byte start codes', input: '000001 6742 000001 68ce 000001 6588', units: ['6742', '68ce', '6588'] },
  { name: 'mixed 3- and 4-byte start codes', input: '00000001 09f0 000001 6742 00000001 65', units: ['09f0', '6742', '65'] },
  { name: 'trailing_zero_8bits belong to no unit', input: '000001 4101 0000 000001 4102 000000', units: ['4101', '4102'] },
  { name: 'bytes before the first start code are dropped', input: 'ffee 000001 6588', units: ['6588'] },
  { name: 'emulation prevention (00 00 03) is not a start code', input: '000001 65 000003 01 000003 00', units: ['6500000301000003'] },
  { name: 'empty units between start codes are skipped', input: '000001 000001 00000001 6588', units: ['6588'] },
  { name: 'no start code: the whole buffer is one unit', input: '6588 0102', units: ['65880102'] },
  { name: 'empty input', input: '', units: [] },
  { name: 'a start code alone', input: '00000001', units: [] },
] as const;

/** What an encoder writes (H.264 §7.4.1): 03 after two zeros when the next byte is 00..03, and never a zero last. */
function escape(raw: readonly number[]): Uint8Array {
  const out: number[] = [];
  let zeros = 0;
  for (const b of raw) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  if (out.length === 0 || out[out.length - 1] === 0) out.push(0x80); // rbsp_stop_one_bit
  return Uint8Array.from(out);
}

describe('splitAnnexB', () => {
  it.each(cases)('$name', ({ input, units }) => {
    expect(asHex(splitAnnexB(hex(input)))).toEqual(units);
  });

  it('returns views into its input, copying nothing', () => {
    const data = hex('00000001 6742 000001 68ce');
    for (const u of splitAnnexB(data)) expect(u.buffer).toBe(data.buffer);
  });

  it('never throws, and its units fit in the input and hold no start code (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (data) => {
        const units = splitAnnexB(data);
        expect(units.reduce((n, u) => n + u.length, 0)).toBeLessThanOrEqual(data.length);
        for (const u of units) {
          expect(u.length).toBeGreaterThan(0);
          expect(Buffer.from(u).includes(Buffer.from([0, 0, 1]))).toBe(false);
        }
      }),
      { numRuns: 500, examples: cases.map((c) => [hex(c.input)]) },
    );
  });
});

describe('joinAnnexB', () => {
  it.each(cases.filter((c) => c.units.length > 0))('joins back: $name', ({ units }) => {
    const joined = joinAnnexB(units.map(hex));
    expect(joined.length).toBe(units.reduce((n, u) => n + 4 + u.length / 2, 0));
    expect(asHex(splitAnnexB(joined))).toEqual(units);
  });

  it('round-trips any escaped NAL units through split (fuzz)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 200 }), { minLength: 1, maxLength: 8 }), (raw) => {
        const units = raw.map(escape);
        expect(asHex(splitAnnexB(joinAnnexB(units)))).toEqual(asHex(units));
      }),
      { numRuns: 300, examples: cases.filter((c) => c.units.length > 0).map((c) => [c.units.map((u) => [...hex(u)])]) },
    );
  });
});
