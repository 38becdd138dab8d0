import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { box, fullBox, u16, u32 } from './box.js';

const asHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

const cases = [
  { name: 'an empty box is its 8-byte header', make: () => box('free'), bytes: '00000008 66726565' },
  { name: 'payloads follow the header in order', make: () => box('mdat', hex('0102'), hex(''), hex('03')), bytes: '0000000b 6d646174 010203' },
  { name: 'a nested box counts its child', make: () => box('dinf', box('free')), bytes: '00000010 64696e66 00000008 66726565' },
  { name: 'a full box: version and 24-bit flags', make: () => fullBox('url ', 0, 1), bytes: '0000000c 75726c20 00000001' },
  { name: 'version 1 and flags 0x020000', make: () => fullBox('tfhd', 1, 0x020000, u32(7)), bytes: '00000010 74666864 01020000 00000007' },
  { name: 'u16 and u32 are big-endian', make: () => box('test', u16(0x0102), u32(0xa0b0c0d0)), bytes: '0000000e 74657374 0102 a0b0c0d0' },
] as const;

describe('box / fullBox', () => {
  it.each(cases)('$name', ({ make, bytes }) => {
    expect(asHex(make())).toBe(bytes.replace(/\s/g, ''));
  });

  it('a box is its size, its type and its payloads, for any payloads (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9 ]{4}$/), fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 6 }), fc.boolean(), (type, payloads, full) => {
        const b = full ? fullBox(type, 1, 0xabcdef, ...payloads) : box(type, ...payloads);
        const body = payloads.reduce((n, p) => n + p.length, 0) + (full ? 4 : 0);
        expect(b.length).toBe(8 + body);
        expect(new DataView(b.buffer, b.byteOffset).getUint32(0)).toBe(b.length);
        expect(Buffer.from(b.subarray(4, 8)).toString('latin1')).toBe(type);
        if (full) expect(asHex(b.subarray(8, 12))).toBe('01abcdef');
      }),
      { numRuns: 300, examples: [['free', [], false], ['mdat', [hex('0102'), hex('03')], false], ['url ', [], true]] },
    );
  });
});
