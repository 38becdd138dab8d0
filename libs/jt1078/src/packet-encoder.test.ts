import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameAssembler, type AssembledFrame } from './frame-assembler.js';
import { DataType, PAYLOAD_TYPE_OF, SPEC_MAX_BODY_BYTES } from './packet.js';
import { EncodeError, PacketEncoder, concatBytes, encodePacket } from './packet-encoder.js';
import { StreamDemuxer } from './stream-demuxer.js';

function decodeAll(bytes: Uint8Array, chunk: number): AssembledFrame[] {
  const frames: AssembledFrame[] = [];
  const assembler = new FrameAssembler();
  const demuxer = new StreamDemuxer({ onPacket: (p) => frames.push(...assembler.push(p)) });
  for (let i = 0; i < bytes.length; i += chunk) demuxer.push(bytes.subarray(i, i + chunk));
  demuxer.end();
  return frames;
}

const videoFrame = fc.record({
  dataType: fc.constantFrom(DataType.I, DataType.P, DataType.B),
  payloadType: fc.constantFrom(PAYLOAD_TYPE_OF.h264, PAYLOAD_TYPE_OF.h265),
  timestamp: fc.integer({ min: 0, max: 2 ** 40 }),
  data: fc.uint8Array({ minLength: 1, maxLength: 5000 }),
});
const audioFrame = fc.record({
  dataType: fc.constant(DataType.audio),
  payloadType: fc.constantFrom(PAYLOAD_TYPE_OF.g711a, PAYLOAD_TYPE_OF.g711u, PAYLOAD_TYPE_OF.adpcm),
  timestamp: fc.integer({ min: 0, max: 2 ** 40 }),
  // Even sizes up to 510 bytes, so a HiSilicon header can describe them.
  data: fc.uint8Array({ minLength: 1, maxLength: 255 }).map((d) => Uint8Array.from([...d, ...d])),
});

describe('PacketEncoder', () => {
  it('decode(encode(x)) is x, for both revisions, in any chunking', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('2016' as const, '2019' as const),
        fc.stringMatching(/^\d{12}$/),
        fc.integer({ min: 0, max: 255 }),
        fc.boolean(),
        fc.array(fc.oneof(videoFrame, audioFrame), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 4096 }),
        fc.integer({ min: 0, max: 0xffff }),
        (revision, sim12, channel, hisiliconAudio, frames, chunk, firstSequence) => {
          const sim = revision === '2019' ? `00000000${sim12}` : sim12;
          const encoder = new PacketEncoder({ sim, revision, hisiliconAudio, firstSequence });
          const bytes = concatBytes(frames.flatMap((f) => encoder.encode({ ...f, channel })));
          const decoded = decodeAll(bytes, chunk);
          expect(decoded.map((f) => ({ dataType: f.dataType, payloadType: f.payloadType, timestamp: f.timestamp, data: Buffer.from(f.data), sim: f.sim, channel: f.channel }))).toEqual(
            frames.map((f) => ({ dataType: f.dataType, payloadType: f.payloadType, timestamp: f.timestamp, data: Buffer.from(f.data), sim, channel })),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('splits at 950 bytes with first/middle/last flags, the M bit on the last, and continuing sequence numbers', () => {
    const encoder = new PacketEncoder({ sim: '295696659617', firstSequence: 65534 });
    const packets = encoder.encode({ channel: 1, dataType: DataType.I, payloadType: 98, timestamp: 40, data: new Uint8Array(2 * SPEC_MAX_BODY_BYTES + 1) });
    expect(packets.map((p) => [p[15]! & 0x0f, p[5]! >> 7, (p[6]! << 8) | p[7]!, (p[28]! << 8) | p[29]!])).toEqual([
      [1, 0, 65534, 950],
      [3, 0, 65535, 950],
      [2, 1, 0, 1],
    ]);
    expect(encoder.nextSequence).toBe(1);
  });

  it('writes table 19 byte for byte', () => {
    const bytes = encodePacket(
      { revision: '2016', marker: true, payloadType: 6, sequence: 0x0102, sim: '013800138000', channel: 3, dataType: DataType.audio, subpackage: 0, timestamp: 0x0102030405 },
      new Uint8Array([0xaa, 0xbb]),
    );
    expect(Buffer.from(bytes).toString('hex')).toBe('30316364' + '81' + '86' + '0102' + '013800138000' + '03' + '30' + '0000000102030405' + '0002' + 'aabb');
  });

  it('refuses what cannot be encoded', () => {
    expect(() => new PacketEncoder({ sim: '1234567890123' }).encode({ channel: 1, dataType: 3, payloadType: 6, data: new Uint8Array(2) })).toThrow(EncodeError);
    expect(() => new PacketEncoder({ sim: '1', hisiliconAudio: true }).encode({ channel: 1, dataType: 3, payloadType: 6, data: new Uint8Array(3) })).toThrow(/HiSilicon/);
  });
});
