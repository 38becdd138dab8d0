import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataType, Jt1078Packet, PAYLOAD_TYPES, PAYLOAD_TYPE_OF, codecOfPayloadType, headerLength, isVideoDataType, type Revision } from './packet.js';

/** Table 19: 30 bytes for video, 26 for audio, 18 for passthrough; 2019 adds 4 SIM bytes. */
const HEADER_CASES: ReadonlyArray<{ revision: Revision; dataType: number; length: number }> = [
  { revision: '2016', dataType: DataType.I, length: 30 },
  { revision: '2016', dataType: DataType.B, length: 30 },
  { revision: '2016', dataType: DataType.audio, length: 26 },
  { revision: '2016', dataType: DataType.passthrough, length: 18 },
  { revision: '2019', dataType: DataType.P, length: 34 },
  { revision: '2019', dataType: DataType.audio, length: 30 },
  { revision: '2019', dataType: DataType.passthrough, length: 22 },
];

/** Table 12, the numbers devices send. */
const PT_CASES = [
  [2, 'g722'], [6, 'g711a'], [7, 'g711u'], [8, 'g726'], [19, 'aac'], [25, 'mp3'], [26, 'adpcm'],
  [98, 'h264'], [99, 'h265'], [100, 'avs'], [101, 'svac'],
] as const;

const packet = (payloadType: number) =>
  new Jt1078Packet('2016', 0x81, false, payloadType, 0, '1', 1, DataType.audio, 0, 0, undefined, undefined, new Uint8Array(0), 0);

describe('packet (table 19, table 12)', () => {
  for (const c of HEADER_CASES) {
    it(`${c.revision} header for data type ${c.dataType} is ${c.length} bytes`, () => {
      expect(headerLength(c.revision, c.dataType)).toBe(c.length);
      expect(isVideoDataType(c.dataType)).toBe(c.dataType <= DataType.B);
    });
  }

  for (const [pt, codec] of PT_CASES) {
    it(`payload type ${pt} is ${codec}, both ways`, () => {
      expect(codecOfPayloadType(pt)).toBe(codec);
      expect(PAYLOAD_TYPE_OF[codec]).toBe(pt);
      expect(packet(pt).codec).toBe(codec);
    });
  }

  it('lists exactly table 12', () => expect(Object.keys(PAYLOAD_TYPES).map(Number)).toEqual(PT_CASES.map(([pt]) => pt)));

  it('any data-type nibble and payload type give a header length of the table and a codec or none (fuzz)', () => {
    fc.assert(
      fc.property(fc.constantFrom<Revision>('2016', '2019'), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 127 }), (rev, dt, pt) => {
        expect((rev === '2019' ? [22, 30, 34] : [18, 26, 30]).includes(headerLength(rev, dt))).toBe(true);
        const codec = codecOfPayloadType(pt);
        expect(codec === undefined || PAYLOAD_TYPE_OF[codec] === pt).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
