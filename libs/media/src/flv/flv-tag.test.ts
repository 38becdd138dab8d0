import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FLV_MAX_TAG_BODY, FlvTagTooLarge, FlvTagType, flvFileHeader, flvTag } from './flv-tag.js';

const asHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const cases = [
  { name: 'a video tag at 0 ms', type: FlvTagType.video, ts: 0, body: [0x17, 0x01], bytes: '09 000002 000000 00 000000 1701 0000000d' },
  { name: 'an audio tag at 0x123456 ms', type: FlvTagType.audio, ts: 0x123456, body: [0xaf], bytes: '08 000001 123456 00 000000 af 0000000c' },
  { name: 'the timestamp extension byte carries bits 24..31', type: FlvTagType.script, ts: 0x89abcdef, body: [], bytes: '12 000000 abcdef 89 000000 0000000b' },
  { name: 'a timestamp past 32 bits wraps', type: FlvTagType.video, ts: 2 ** 32 + 5, body: [], bytes: '09 000000 000005 00 000000 0000000b' },
] as const;

describe('flvTag', () => {
  it.each(cases)('$name', ({ type, ts, body, bytes }) => {
    expect(asHex(flvTag(type, ts, Uint8Array.from(body)))).toBe(bytes.replace(/\s/g, ''));
  });

  it('refuses a body over the 24-bit DataSize with a typed error', () => {
    expect(() => flvTag(FlvTagType.video, 0, new Uint8Array(FLV_MAX_TAG_BODY + 1))).toThrow(FlvTagTooLarge);
  });

  it('the file header says which tracks there are (E.2)', () => {
    expect(asHex(flvFileHeader({ audio: true, video: true }))).toBe('464c5601050000000900000000');
    expect(asHex(flvFileHeader({ audio: false, video: true }))).toBe('464c5601010000000900000000');
  });

  it('reads back as its type, size, timestamp and body, with PreviousTagSize last (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.constantFrom(8, 9, 18), fc.integer({ min: 0, max: 2 ** 40 }), fc.uint8Array({ maxLength: 500 }), (type, ts, body) => {
        const tag = Buffer.from(flvTag(type as FlvTagType, ts, body));
        expect(tag.length).toBe(11 + body.length + 4);
        expect(tag[0]).toBe(type);
        expect(tag.readUIntBE(1, 3)).toBe(body.length);
        expect((tag.readUIntBE(4, 3) | (tag[7]! << 24)) >>> 0).toBe(ts % 2 ** 32);
        expect(tag.subarray(11, 11 + body.length).equals(body)).toBe(true);
        expect(tag.readUInt32BE(11 + body.length)).toBe(11 + body.length);
      }),
      { numRuns: 300, examples: cases.map((c): [number, number, Uint8Array] => [c.type, c.ts, Uint8Array.from(c.body)]) },
    );
  });
});
