import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flvOnMetaData, type FlvMetadataValue } from './flv-metadata.js';

/** An independent AMF0 reader (AMF0 spec §2.2, 2.3, 2.4, 2.10): "onMetaData" and its ECMA array. */
function readOnMetaData(bytes: Uint8Array): { name: string; values: Record<string, FlvMetadataValue> } {
  const b = Buffer.from(bytes);
  let o = 0;
  const str = () => {
    const n = b.readUInt16BE(o);
    const s = b.subarray(o + 2, o + 2 + n).toString('utf8');
    o += 2 + n;
    return s;
  };
  expect(b[o++]).toBe(0x02);
  const name = str();
  expect(b[o++]).toBe(0x08);
  const count = b.readUInt32BE(o);
  o += 4;
  const values: Record<string, FlvMetadataValue> = {};
  for (let i = 0; i < count; i++) {
    const key = str();
    const type = b[o++];
    if (type === 0x00) {
      values[key] = b.readDoubleBE(o);
      o += 8;
    } else {
      expect(type).toBe(0x01);
      values[key] = b[o++] !== 0;
    }
  }
  expect([...b.subarray(o)]).toEqual([0, 0, 9]);
  return { name, values };
}

const cases: ReadonlyArray<{ name: string; values: Record<string, FlvMetadataValue>; size: number }> = [
  { name: 'nothing', values: {}, size: 13 + 5 + 3 },
  { name: 'a video', values: { duration: 0, videocodecid: 7, width: 320, height: 240, framerate: 25 }, size: 13 + 5 + 3 + (10 + 14 + 7 + 8 + 11) + 5 * 9 },
  { name: 'G.711 audio', values: { audiocodecid: 7, audiosamplerate: 8000, stereo: false }, size: 13 + 5 + 3 + (14 + 17 + 8) + 9 + 9 + 2 },
];

describe('flvOnMetaData', () => {
  it.each(cases)('$name', ({ values, size }) => {
    const bytes = flvOnMetaData(values);
    expect(bytes.length).toBe(size);
    expect(readOnMetaData(bytes)).toEqual({ name: 'onMetaData', values });
  });

  it('reads back any numbers and booleans under any keys (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }).filter((k) => k !== '__proto__'), fc.oneof(fc.double({ noNaN: true }), fc.boolean()), { maxKeys: 20 }), (values) => {
        const bytes = flvOnMetaData(values);
        expect(readOnMetaData(bytes)).toEqual({ name: 'onMetaData', values });
        expect(bytes.length).toBeLessThanOrEqual(21 + Object.keys(values).reduce((n, k) => n + 2 + Buffer.byteLength(k) + 9, 0));
      }),
      { numRuns: 200, examples: cases.map((c) => [c.values]) },
    );
  });
});
