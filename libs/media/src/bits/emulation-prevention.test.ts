import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { removeEmulationPrevention } from './emulation-prevention.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const asHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const cases = [
  { name: 'nothing to remove', nal: '6742c01e', rbsp: '6742c01e' },
  { name: '00 00 03 00', nal: '00000300', rbsp: '000000' },
  { name: '00 00 03 01 and 00 00 03 03', nal: '65 000003 01 000003 03', rbsp: '65 0000 01 0000 03' },
  { name: 'two in a row: 00 00 03 00 00 03', nal: '000003 0000 03', rbsp: '00000000' },
  { name: 'a trailing 00 00 03 (cabac_zero_word)', nal: 'ff 000003', rbsp: 'ff0000' },
  { name: '00 03 is not one', nal: '0003 0003', rbsp: '00030003' },
  // The SPS of testdata/media/h264-g711u.bin: two emulation-prevention bytes.
  { name: 'a real SPS', nal: '674d400dd90141fb01 10 000003 00 10 000003 03 20f142a480', rbsp: '674d400dd90141fb01 10 0000 00 10 0000 03 20f142a480' },
  { name: 'empty', nal: '', rbsp: '' },
] as const;

/** An encoder's escaping (§7.4.1): 03 after two zeros before any byte 00..03. */
function escape(rbsp: Uint8Array): Uint8Array {
  const out: number[] = [];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return Uint8Array.from(out);
}

describe('removeEmulationPrevention', () => {
  it.each(cases)('$name', ({ nal, rbsp }) => {
    expect(asHex(removeEmulationPrevention(hex(nal)))).toBe(rbsp.replace(/\s/g, ''));
  });

  it('returns its input itself when there is nothing to remove (no copy)', () => {
    const nal = hex('6742c01e');
    expect(removeEmulationPrevention(nal)).toBe(nal);
  });

  it('undoes an encoder’s escaping of any RBSP, and never grows its input (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (rbsp) => {
        expect(asHex(removeEmulationPrevention(escape(rbsp)))).toBe(asHex(rbsp));
        expect(removeEmulationPrevention(rbsp).length).toBeLessThanOrEqual(rbsp.length);
      }),
      { numRuns: 500, examples: cases.map((c) => [hex(c.rbsp)]) },
    );
  });
});
