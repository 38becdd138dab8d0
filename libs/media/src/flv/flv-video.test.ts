import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HVC1_FOURCC, flvVideoCodecId, flvVideoFrame, flvVideoSequenceHeader, type FlvHevcForm, type FlvVideoCodec } from './flv-video.js';

const asHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const payload = Uint8Array.of(0xaa, 0xbb);

const cases: ReadonlyArray<{ name: string; codec: FlvVideoCodec; form: FlvHevcForm; key: boolean; seq: boolean; header: string }> = [
  { name: 'H.264 sequence header: key, AVC, AVCPacketType 0, CTS 0', codec: 'h264', form: 'enhanced', key: true, seq: true, header: '17 00 000000' },
  { name: 'H.264 key frame: AVCPacketType 1', codec: 'h264', form: 'enhanced', key: true, seq: false, header: '17 01 000000' },
  { name: 'H.264 inter frame', codec: 'h264', form: 'codec-id-12', key: false, seq: false, header: '27 01 000000' },
  { name: 'H.265 enhanced SequenceStart: IsExHeader, key, hvc1', codec: 'h265', form: 'enhanced', key: true, seq: true, header: '90 68766331' },
  { name: 'H.265 enhanced inter frame: CodedFramesX', codec: 'h265', form: 'enhanced', key: false, seq: false, header: 'a3 68766331' },
  { name: 'H.265 as CodecID 12: the AVC layout', codec: 'h265', form: 'codec-id-12', key: true, seq: false, header: '1c 01 000000' },
];

describe('FLV video tag bodies', () => {
  it.each(cases)('$name', ({ codec, form, key, seq, header }) => {
    const body = seq ? flvVideoSequenceHeader(codec, form, payload) : flvVideoFrame(codec, form, payload, key);
    expect(asHex(body)).toBe(header.replace(/\s/g, '') + 'aabb');
  });

  it('onMetaData codec ids: 7 for AVC, 12 or the hvc1 FourCC for HEVC', () => {
    expect(flvVideoCodecId('h264', 'enhanced')).toBe(7);
    expect(flvVideoCodecId('h265', 'codec-id-12')).toBe(12);
    expect(flvVideoCodecId('h265', 'enhanced')).toBe(HVC1_FOURCC);
  });

  it('is always 5 header bytes then the payload unchanged, and says key or inter (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.constantFrom<FlvVideoCodec>('h264', 'h265'), fc.constantFrom<FlvHevcForm>('enhanced', 'codec-id-12'), fc.boolean(), fc.boolean(), fc.uint8Array({ maxLength: 300 }), (codec, form, key, seq, data) => {
        const body = seq ? flvVideoSequenceHeader(codec, form, data) : flvVideoFrame(codec, form, data, key);
        expect(body.length).toBe(5 + data.length);
        expect(asHex(body.subarray(5))).toBe(asHex(data));
        const frameType = codec === 'h265' && form === 'enhanced' ? (body[0]! >> 4) & 0x7 : body[0]! >> 4;
        expect(frameType).toBe(seq || key ? 1 : 2);
      }),
      { numRuns: 300, examples: cases.map((c): [FlvVideoCodec, FlvHevcForm, boolean, boolean, Uint8Array] => [c.codec, c.form, c.key, c.seq, payload]) },
    );
  });
});
