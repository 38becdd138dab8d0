import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataType, headerLength, type Revision } from './packet.js';
import { IMPOSSIBLE_HEADER, dataTypeOffset, declaredBodyLength, packetFromHeader } from './packet-header.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/** Headers from table 19, with garbage in front so the reader's start offset matters. */
const CASES = [
  {
    name: '2016 video: 30-byte header, intervals read',
    revision: '2016' as Revision,
    bytes: hex('eeee 30316364 81 e2 0a0b 013912345678 04 22 0000000100000002 0102 0304 03b6'),
    body: 950,
    fields: { marker: true, payloadType: 98, sequence: 0x0a0b, channel: 4, dataType: DataType.B, subpackage: 2, timestamp: 2 ** 32 + 2, lastIFrameInterval: 0x0102, lastFrameInterval: 0x0304 },
  },
  {
    name: '2019 audio: 30-byte header (26 + 4 SIM bytes), no intervals',
    revision: '2019' as Revision,
    bytes: hex('eeee 30316364 81 08 0001 00000000013912345678 02 30 0000000000000050 00a0'),
    body: 160,
    fields: { marker: false, payloadType: 8, sequence: 1, channel: 2, dataType: DataType.audio, subpackage: 0, timestamp: 80, lastIFrameInterval: undefined },
  },
  {
    name: '2016 passthrough: 18-byte header, no timestamp',
    revision: '2016' as Revision,
    bytes: hex('eeee 30316364 81 00 0002 013912345678 01 40 0010'),
    body: 16,
    fields: { dataType: DataType.passthrough, timestamp: undefined, exactTimestamp: undefined },
  },
  { name: 'version bits 3', revision: '2016' as Revision, bytes: hex('eeee 30316364 c1 00 0002 013912345678 01 40 0010'), body: IMPOSSIBLE_HEADER, fields: undefined },
  { name: 'data type 15', revision: '2016' as Revision, bytes: hex('eeee 30316364 81 00 0002 013912345678 01 f0 0010'), body: IMPOSSIBLE_HEADER, fields: undefined },
] as const;

describe('table 19 header reader', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const dto = dataTypeOffset(c.revision);
      const hl = headerLength(c.revision, c.bytes[2 + dto]! >> 4);
      expect(hl).toBe(c.bytes.length - 2);
      expect(declaredBodyLength(c.bytes, 2, hl, dto)).toBe(c.body);
      if (c.fields) {
        const body = new Uint8Array(1);
        const p = packetFromHeader(c.bytes, 2, c.revision, '13912345678', 77, body);
        expect(p).toMatchObject({ ...c.fields, revision: c.revision, sim: '13912345678', offset: 77 });
        expect(p.body).toBe(body);
      }
    });
  }

  it('reads any header bytes without throwing; impossible headers are named so (fuzz)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CASES), fc.uint8Array({ minLength: 34, maxLength: 34 }), (c, noise) => {
        const b = Uint8Array.from([...c.bytes.subarray(0, 6), ...noise]);
        const dto = dataTypeOffset(c.revision);
        const hl = headerLength(c.revision, b[2 + dto]! >> 4);
        const len = declaredBodyLength(b, 2, hl, dto);
        const dt = b[2 + dto]! >> 4;
        const possible = b[6]! >> 6 === 2 && dt <= DataType.passthrough && (b[2 + dto]! & 0x0f) <= 3;
        expect(len === IMPOSSIBLE_HEADER).toBe(!possible);
        expect(len).toBeLessThanOrEqual(0xffff);
        if (possible) expect(packetFromHeader(b, 2, c.revision, '1', 0, new Uint8Array(0)).dataType).toBe(dt);
      }),
      { numRuns: 1000 },
    );
  });
});
