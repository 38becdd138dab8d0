/**
 * FLV video tag bodies for H.264 and H.265.
 *
 * - H.264: the classic VIDEODATA (FLV spec E.4.3.1): FrameType(4) | CodecID(4) = 7 (AVC), then
 *   AVCPacketType (0 sequence header = avcC, 1 NALUs) and a 24-bit composition time.
 * - H.265, `enhanced`: Enhanced RTMP/FLV v1 ("ExVideoTagHeader"): IsExHeader(1) | FrameType(3) |
 *   PacketType(4), FourCC `hvc1`; PacketType 0 SequenceStart (hvcC), 3 CodedFramesX (no
 *   composition time: JT1078 devices send no B-frames, so DTS = PTS).
 * - H.265, `codec-id-12`: the pre-standard form many Chinese players read (CodecID 12 in the
 *   classic header, packet layout as AVC).
 * Samples are length-prefixed NAL units (4-byte lengths), as the avcC/hvcC say.
 */

export type FlvVideoCodec = 'h264' | 'h265';
export type FlvHevcForm = 'enhanced' | 'codec-id-12';

const FRAME_KEY = 1;
const FRAME_INTER = 2;
const CODEC_ID_AVC = 7;
const CODEC_ID_HEVC_LEGACY = 12;
const EX_HEADER = 0x80;
const EX_PACKET_SEQUENCE_START = 0;
const EX_PACKET_CODED_FRAMES_X = 3;
/** 'hvc1' as the FourCC the enhanced header and onMetaData's videocodecid carry. */
export const HVC1_FOURCC = 0x68766331;

/** The videocodecid onMetaData announces for a codec in a form. */
export function flvVideoCodecId(codec: FlvVideoCodec, hevcForm: FlvHevcForm): number {
  if (codec === 'h264') return CODEC_ID_AVC;
  return hevcForm === 'enhanced' ? HVC1_FOURCC : CODEC_ID_HEVC_LEGACY;
}

function classic(codecId: number, keyFrame: boolean, packetType: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = ((keyFrame ? FRAME_KEY : FRAME_INTER) << 4) | codecId;
  out[1] = packetType;
  // out[2..4]: CompositionTime 0 (no reordering).
  out.set(payload, 5);
  return out;
}

function enhanced(keyFrame: boolean, packetType: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = EX_HEADER | ((keyFrame ? FRAME_KEY : FRAME_INTER) << 4) | packetType;
  new DataView(out.buffer).setUint32(1, HVC1_FOURCC);
  out.set(payload, 5);
  return out;
}

/** The decoder configuration (avcC or hvcC) as a sequence-header tag body. */
export function flvVideoSequenceHeader(codec: FlvVideoCodec, hevcForm: FlvHevcForm, configRecord: Uint8Array): Uint8Array {
  if (codec === 'h265' && hevcForm === 'enhanced') return enhanced(true, EX_PACKET_SEQUENCE_START, configRecord);
  return classic(flvVideoCodecId(codec, hevcForm), true, 0, configRecord);
}

/** One access unit (length-prefixed NAL units) as a tag body. */
export function flvVideoFrame(codec: FlvVideoCodec, hevcForm: FlvHevcForm, sample: Uint8Array, keyFrame: boolean): Uint8Array {
  if (codec === 'h265' && hevcForm === 'enhanced') return enhanced(keyFrame, EX_PACKET_CODED_FRAMES_X, sample);
  return classic(flvVideoCodecId(codec, hevcForm), keyFrame, 1, sample);
}
