/**
 * The H.265 sequence parameter set up to the bit depths (ITU-T H.265 §7.3.2.2.1): profile, tier
 * and level, chroma format, the picture size inside the conformance window.
 */
import { h265NalType } from '../annexb/nal-unit-type.js';
import { BitReader } from '../bits/bit-reader.js';
import { BitstreamError } from '../bits/bitstream-error.js';
import { removeEmulationPrevention } from '../bits/emulation-prevention.js';
import { H265NalType } from './nal-unit-type.js';
import { readProfileTierLevel, type ProfileTierLevel } from './profile-tier-level.js';

/**
 * The widest (and tallest) picture any level allows: pic_width_in_luma_samples ≤ √(8·MaxLumaPs)
 * (§A.4.1) with level 6.2's MaxLumaPs of 35 651 584. An SPS beyond it is garbage, not a stream.
 */
const MAX_PICTURE_SIDE = 16888;

export interface H265Sps {
  readonly ptl: ProfileTierLevel;
  readonly maxSubLayersMinus1: number;
  readonly temporalIdNesting: boolean;
  readonly chromaFormatIdc: number;
  readonly bitDepthLuma: number;
  readonly bitDepthChroma: number;
  readonly width: number;
  readonly height: number;
}

/** Parses an SPS NAL unit (with its two-byte NAL header) up to the bit depths. */
export function parseH265Sps(nal: Uint8Array): H265Sps {
  if (h265NalType(nal) !== H265NalType.sps) throw new BitstreamError(`NAL type ${h265NalType(nal)} is not an SPS`, 'h265 sps');
  const r = new BitReader(removeEmulationPrevention(nal.subarray(2)), 'h265 sps');
  r.skip(4); // sps_video_parameter_set_id
  const maxSubLayersMinus1 = r.u(3);
  const temporalIdNesting = r.flag();
  const ptl = readProfileTierLevel(r, maxSubLayersMinus1);
  r.ue(); // sps_seq_parameter_set_id
  const chromaFormatIdc = r.ue();
  if (chromaFormatIdc === 3) r.skip(1);
  if (chromaFormatIdc > 3) throw new BitstreamError(`chroma_format_idc ${chromaFormatIdc} is over 3`, 'h265 sps');
  let width = r.ue();
  let height = r.ue();
  if (r.flag()) {
    // Conformance window offsets are in chroma sample units (§7.4.3.2.1).
    const subWidth = chromaFormatIdc === 1 || chromaFormatIdc === 2 ? 2 : 1;
    const subHeight = chromaFormatIdc === 1 ? 2 : 1;
    const [left, right, top, bottom] = [r.ue(), r.ue(), r.ue(), r.ue()];
    width -= subWidth * (left + right);
    height -= subHeight * (top + bottom);
  }
  const bitDepthLuma = r.ue() + 8;
  const bitDepthChroma = r.ue() + 8;
  // bit_depth_*_minus8 is 0..8 (§7.4.3.2.1).
  if (bitDepthLuma > 16 || bitDepthChroma > 16) throw new BitstreamError(`bit depth ${Math.max(bitDepthLuma, bitDepthChroma)} is over 16`, 'h265 sps');
  if (width <= 0 || height <= 0 || width > MAX_PICTURE_SIDE || height > MAX_PICTURE_SIDE) throw new BitstreamError(`a ${width}x${height} picture is beyond every level`, 'h265 sps');
  return { ptl, maxSubLayersMinus1, temporalIdNesting, chromaFormatIdc, bitDepthLuma, bitDepthChroma, width, height };
}
