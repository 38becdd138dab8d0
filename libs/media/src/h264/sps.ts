/**
 * The H.264 sequence parameter set fields a muxer and a console need (ITU-T H.264 §7.3.2.1.1,
 * VUI §E.1.1): profile, level, chroma format, bit depths, the cropped picture size and the frame
 * rate the VUI timing gives.
 */
import { h264NalType } from '../annexb/nal-unit-type.js';
import { BitReader } from '../bits/bit-reader.js';
import { BitstreamError } from '../bits/bitstream-error.js';
import { removeEmulationPrevention } from '../bits/emulation-prevention.js';
import { H264NalType } from './nal-unit-type.js';

export interface H264Sps {
  readonly profileIdc: number;
  readonly constraintFlags: number;
  readonly levelIdc: number;
  readonly spsId: number;
  readonly chromaFormatIdc: number;
  readonly bitDepthLuma: number;
  readonly bitDepthChroma: number;
  readonly frameMbsOnly: boolean;
  readonly width: number;
  readonly height: number;
  /** Frames per second when the VUI carries timing (time_scale / 2·num_units_in_tick). */
  readonly fps?: number;
}

/**
 * The widest (and tallest) picture any level allows, in macroblocks: PicWidthInMbs ≤ √(8·MaxFS)
 * (§A.3.1 f, g) with level 6.2's MaxFS of 139 264. An SPS beyond it is garbage, not a stream.
 */
const MAX_PICTURE_SIDE_MBS = 1055;

/** Profiles whose SPS carries chroma format, bit depths and scaling lists (§7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/** Parses an SPS NAL unit (with its one-byte NAL header). */
export function parseH264Sps(nal: Uint8Array): H264Sps {
  if (h264NalType(nal) !== H264NalType.sps) throw new BitstreamError(`NAL type ${h264NalType(nal)} is not an SPS`, 'h264 sps');
  const r = new BitReader(removeEmulationPrevention(nal.subarray(1)), 'h264 sps');
  const profileIdc = r.u(8);
  const constraintFlags = r.u(8);
  const levelIdc = r.u(8);
  const spsId = r.ue();
  let chromaFormatIdc = 1;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.ue();
    // chroma_format_idc is 0..3 and bit_depth_*_minus8 0..6 (§7.4.2.1.1).
    if (chromaFormatIdc > 3) throw new BitstreamError(`chroma_format_idc ${chromaFormatIdc} is over 3`, 'h264 sps');
    if (chromaFormatIdc === 3) r.skip(1); // separate_colour_plane_flag
    bitDepthLuma = r.ue() + 8;
    bitDepthChroma = r.ue() + 8;
    if (bitDepthLuma > 14 || bitDepthChroma > 14) throw new BitstreamError(`bit depth ${Math.max(bitDepthLuma, bitDepthChroma)} is over 14`, 'h264 sps');
    r.skip(1); // qpprime_y_zero_transform_bypass_flag
    if (r.flag()) {
      for (let i = 0; i < (chromaFormatIdc !== 3 ? 8 : 12); i++) {
        if (r.flag()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }
  r.ue(); // log2_max_frame_num_minus4
  const pocType = r.ue();
  if (pocType === 0) {
    r.ue();
  } else if (pocType === 1) {
    r.skip(1);
    r.se();
    r.se();
    const n = r.ue();
    for (let i = 0; i < n; i++) r.se();
  }
  r.ue(); // max_num_ref_frames
  r.skip(1); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.ue() + 1;
  const heightMapUnits = r.ue() + 1;
  const frameMbsOnly = r.flag();
  const heightMbs = (frameMbsOnly ? 1 : 2) * heightMapUnits;
  if (widthMbs > MAX_PICTURE_SIDE_MBS || heightMbs > MAX_PICTURE_SIDE_MBS) throw new BitstreamError(`${widthMbs}x${heightMbs} macroblocks is beyond every level`, 'h264 sps');
  if (!frameMbsOnly) r.skip(1);
  r.skip(1); // direct_8x8_inference_flag
  let crop = [0, 0, 0, 0];
  if (r.flag()) crop = [r.ue(), r.ue(), r.ue(), r.ue()];
  // Crop units (§7.4.2.1.1, table 6-1): SubWidthC/SubHeightC by chroma format, doubled for fields.
  const subWidth = chromaFormatIdc === 1 || chromaFormatIdc === 2 ? 2 : 1;
  const subHeight = chromaFormatIdc === 1 ? 2 : 1;
  const cropX = chromaFormatIdc === 0 ? 1 : subWidth;
  const cropY = (chromaFormatIdc === 0 ? 1 : subHeight) * (frameMbsOnly ? 1 : 2);
  const width = widthMbs * 16 - cropX * (crop[0]! + crop[1]!);
  const height = heightMbs * 16 - cropY * (crop[2]! + crop[3]!);
  if (width <= 0 || height <= 0) throw new BitstreamError(`the cropping window leaves ${width}x${height}`, 'h264 sps');
  const sps: H264Sps = { profileIdc, constraintFlags, levelIdc, spsId, chromaFormatIdc, bitDepthLuma, bitDepthChroma, frameMbsOnly, width, height };
  let fps: number | undefined;
  try {
    if (r.flag()) fps = vuiFrameRate(r);
  } catch {
    // A truncated VUI still leaves a usable SPS: dimensions do not depend on it.
  }
  return fps === undefined ? sps : { ...sps, fps };
}

function vuiFrameRate(r: BitReader): number | undefined {
  if (r.flag() && r.u(8) === 255) r.skip(32); // aspect_ratio_idc, Extended_SAR
  if (r.flag()) r.skip(1); // overscan
  if (r.flag()) {
    r.skip(4); // video_format, video_full_range_flag
    if (r.flag()) r.skip(24); // colour description
  }
  if (r.flag()) {
    r.ue();
    r.ue();
  }
  if (!r.flag()) return undefined;
  const unitsInTick = r.u(32);
  const timeScale = r.u(32);
  // fixed_frame_rate_flag is often 0 even for constant-rate encoders; the tick still gives the rate.
  if (unitsInTick === 0) return undefined;
  return timeScale / (2 * unitsInTick);
}
