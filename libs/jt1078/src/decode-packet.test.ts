import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCapture } from './capture-file.js';
import { MalformedPacketKind, decodePacket } from './decode-packet.js';
import { DataType, MAX_BODY_BYTES, Subpackage, type Jt1078Packet, type Revision } from './packet.js';
import { encodePacket } from './packet-encoder.js';
import { StreamDemuxer } from './stream-demuxer.js';
import { G711_CAPTURE, H264_CAPTURE, OWN_TESTDATA, sharedTestdataAvailable } from './testdata/generate-captures.js';
import path from 'node:path';

const haveShared = sharedTestdataAvailable();

/** Table 19 laid out byte by byte from hex, independent of the encoder. */
const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

interface Case {
  readonly name: string;
  readonly revision: Revision;
  readonly bytes: Uint8Array;
  readonly expected: Partial<Jt1078Packet> | MalformedPacketKind;
}

const CASES: readonly Case[] = [
  {
    name: '2016 video I-frame, first subpackage, M clear',
    revision: '2016',
    //        magic    V  M/PT seq  SIM BCD[6]    ch dt  timestamp         lastI lastF len   body
    bytes: hex('30316364 81 62 0102 295696659617 01 01 0000000000001388 0028 0014 0003 aabbcc'),
    expected: { revision: '2016', vpxcc: 0x81, marker: false, payloadType: 98, sequence: 0x0102, sim: '295696659617', channel: 1, dataType: DataType.I, subpackage: Subpackage.first, timestamp: 5000, lastIFrameInterval: 40, lastFrameInterval: 20 },
  },
  {
    name: '2016 audio G.711A, atomic, M set (no interval fields)',
    revision: '2016',
    bytes: hex('30316364 81 86 ffff 156987000796 02 30 00000000000003e8 0002 d5d5'),
    expected: { marker: true, payloadType: 6, sequence: 0xffff, sim: '156987000796', channel: 2, dataType: DataType.audio, subpackage: Subpackage.atomic, timestamp: 1000, lastIFrameInterval: undefined, lastFrameInterval: undefined },
  },
  {
    name: '2016 passthrough: no timestamp',
    revision: '2016',
    bytes: hex('30316364 81 00 0007 013900000001 01 40 0001 ee'),
    expected: { dataType: DataType.passthrough, timestamp: undefined, sequence: 7, sim: '013900000001' },
  },
  {
    name: '2019 video P-frame, last subpackage, 20-digit SIM with leading zeros',
    revision: '2019',
    bytes: hex('30316364 81 e3 0010 00000000156987000796 03 12 0000000000000064 0000 0028 0001 00'),
    expected: { revision: '2019', marker: true, payloadType: 99, sim: '00000000156987000796', channel: 3, dataType: DataType.P, subpackage: Subpackage.last, timestamp: 100, lastFrameInterval: 40 },
  },
  {
    name: '2019 audio ADPCM, middle subpackage',
    revision: '2019',
    bytes: hex('30316364 81 1a 0011 00000000156987000796 01 33 0000000000000078 0001 01'),
    expected: { payloadType: 26, dataType: DataType.audio, subpackage: Subpackage.middle, timestamp: 120 },
  },
  {
    name: 'a timestamp above 2^53 is kept exactly',
    revision: '2016',
    bytes: hex('30316364 81 06 0000 013900000001 01 30 ffffffffffffffff 0000'),
    expected: { exactTimestamp: 0xffff_ffff_ffff_ffffn },
  },
  {
    name: 'F-padded SIM keeps its digits',
    revision: '2016',
    bytes: hex('30316364 81 06 0000 01390000080f 01 30 0000000000000000 0000'),
    expected: { sim: '01390000080' },
  },
  { name: 'empty input', revision: '2016', bytes: new Uint8Array(0), expected: MalformedPacketKind.short },
  { name: 'header cut short', revision: '2019', bytes: hex('30316364 81 62 0102 00000000295696659617 01 01 00'), expected: MalformedPacketKind.short },
  { name: 'not 01cd', revision: '2016', bytes: hex('30316365 81 06 0000 013900000001 01 30 0000000000000000 0000'), expected: MalformedPacketKind.badMagic },
  { name: 'RTP version 0', revision: '2016', bytes: hex('30316364 01 06 0000 013900000001 01 30 0000000000000000 0000'), expected: MalformedPacketKind.badHeader },
  { name: 'data type 5', revision: '2016', bytes: hex('30316364 81 06 0000 013900000001 01 50 0001 00'), expected: MalformedPacketKind.badHeader },
  { name: 'subpackage flag 4', revision: '2016', bytes: hex('30316364 81 06 0000 013900000001 01 34 0000000000000000 0000'), expected: MalformedPacketKind.badHeader },
  { name: 'body length over the bound', revision: '2016', bytes: hex('30316364 81 06 0000 013900000001 01 30 0000000000000000 ffff'), expected: MalformedPacketKind.badLength },
  { name: 'body shorter than declared', revision: '2016', bytes: hex('30316364 81 06 0000 013900000001 01 30 0000000000000000 0004 0102'), expected: MalformedPacketKind.truncated },
  { name: 'SIM with a hex digit inside', revision: '2016', bytes: hex('30316364 81 06 0000 0139a0000001 01 30 0000000000000000 0000'), expected: MalformedPacketKind.badSim },
  // The 2016 bytes read as 2019: the data-type byte falls in the timestamp (0: video, 34 bytes).
  { name: '2016 audio packet read as 2019', revision: '2019', bytes: hex('30316364 81 86 ffff 156987000796 02 30 00000000000003e8 0002 d5d5'), expected: MalformedPacketKind.short },
];

describe('decodePacket (JT/T 1078 table 19)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const r = decodePacket(c.bytes, c.revision);
      if (typeof c.expected === 'string') {
        expect(r.ok).toBe(false);
        if (!r.ok) {
          expect(r.error.kind).toBe(c.expected);
          expect(r.error.name).toBe('MalformedPacket');
        }
        return;
      }
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.packet).toMatchObject(c.expected);
      expect(r.byteLength).toBe(c.bytes.length);
      // The body is the bytes after the header, as a view.
      expect(r.packet.body.buffer).toBe(c.bytes.buffer);
      expect(r.packet.body.byteOffset + r.packet.body.length).toBe(c.bytes.byteOffset + c.bytes.length);
    });
  }

  it('leaves the bytes after the packet alone and says where it ended', () => {
    const one = CASES[1]!.bytes;
    const r = decodePacket(Uint8Array.from([...one, ...one]), '2016');
    expect(r.ok && r.byteLength).toBe(one.length);
  });

  it('is the inverse of encodePacket in both revisions', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Revision>('2016', '2019'),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 255 }),
        fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }),
        fc.uint8Array({ maxLength: 1200 }),
        fc.boolean(),
        (revision, dataType, subpackage, sequence, channel, ts, body, marker) => {
          const sim = revision === '2019' ? '01234567890123456789' : '012345678901';
          const bytes = encodePacket({ revision, marker, payloadType: 98, sequence, sim, channel, dataType, subpackage, timestamp: ts, lastIFrameInterval: 7, lastFrameInterval: 9 }, body);
          const r = decodePacket(bytes, revision);
          expect(r.ok).toBe(true);
          if (!r.ok) return;
          expect(r.byteLength).toBe(bytes.length);
          expect(r.packet).toMatchObject({ revision, marker, sequence, sim, channel, dataType, subpackage });
          expect([...r.packet.body]).toEqual([...body]);
          if (dataType === DataType.passthrough) expect(r.packet.timestamp).toBeUndefined();
          else expect(r.packet.exactTimestamp ?? BigInt(r.packet.timestamp!)).toBe(ts);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws on garbage or on mutated cases, and never reads past the bytes', () => {
    const seeds = CASES.map((c) => c.bytes);
    const mutated = fc
      .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat())
      .map(([seed, edits, cut]) => {
        const b = Uint8Array.from(seed);
        for (const [at, v] of edits) if (b.length > 0) b[at % b.length] = v;
        return b.subarray(0, b.length === 0 ? 0 : cut % (b.length + 1));
      });
    fc.assert(
      fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 200 })), fc.constantFrom<Revision>('2016', '2019'), (bytes, revision) => {
        const r = decodePacket(bytes, revision);
        if (r.ok) {
          expect(r.byteLength).toBeLessThanOrEqual(bytes.length);
          expect(r.packet.body.length).toBeLessThanOrEqual(MAX_BODY_BYTES);
        } else {
          expect(Object.values(MalformedPacketKind)).toContain(r.error.kind);
        }
      }),
      { numRuns: 1000 },
    );
  });

  const captures = [
    ...(haveShared ? [{ file: H264_CAPTURE, revision: '2016' as const }, { file: G711_CAPTURE, revision: '2016' as const }] : []),
    { file: path.join(OWN_TESTDATA, '2019-interleaved-hisilicon.bin'), revision: '2019' as const },
    { file: path.join(OWN_TESTDATA, '2016-passthrough.bin'), revision: '2016' as const },
  ];
  for (const { file, revision } of captures) {
    it(`reads every packet of ${path.basename(file)} as the StreamDemuxer does`, () => {
      const bytes = readCapture(file);
      const fromDemuxer: Jt1078Packet[] = [];
      const demuxer = new StreamDemuxer({ onPacket: (p) => fromDemuxer.push(p) });
      demuxer.push(bytes);
      demuxer.end();
      expect(demuxer.revision).toBe(revision);
      let at = 0;
      const decoded: Jt1078Packet[] = [];
      while (at < bytes.length) {
        const r = decodePacket(bytes.subarray(at), revision);
        if (!r.ok) throw r.error;
        decoded.push(r.packet);
        at += r.byteLength;
      }
      expect(decoded.length).toBe(fromDemuxer.length);
      const fields = (p: Jt1078Packet) => ({ ...p, offset: 0, body: Buffer.from(p.body).toString('hex') });
      expect(decoded.map(fields)).toEqual(fromDemuxer.map(fields));
    });
  }
});
