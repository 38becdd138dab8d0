/**
 * H.264 parameter sets and samples: the SPS fields a muxer and a console need (ITU-T H.264
 * §7.3.2.1.1, VUI §E.1.1), the RFC 6381 codec string, the AVCDecoderConfigurationRecord
 * (ISO/IEC 14496-15 §5.3.3.1) and access units to length-prefixed samples.
 */
import { h264NalType, splitAnnexB } from '../annexb/index.js';
import { BitReader, BitstreamError, removeEmulationPrevention } from '../bits/index.js';

export const H264NalType = { slice: 1, idr: 5, sei: 6, sps: 7, pps: 8, aud: 9 } as const;

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
    if (chromaFormatIdc === 3) r.skip(1); // separate_colour_plane_flag
    bitDepthLuma = r.ue() + 8;
    bitDepthChroma = r.ue() + 8;
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
  const height = (frameMbsOnly ? 1 : 2) * heightMapUnits * 16 - cropY * (crop[2]! + crop[3]!);
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

/** RFC 6381 §3.3: `avc1.PPCCLL` from the SPS's first three bytes after the NAL header. */
export function h264CodecString(sps: H264Sps): string {
  const hex = (v: number) => v.toString(16).padStart(2, '0');
  return `avc1.${hex(sps.profileIdc)}${hex(sps.constraintFlags)}${hex(sps.levelIdc)}`;
}

export interface AvcConfig {
  readonly sps: readonly Uint8Array[];
  readonly pps: readonly Uint8Array[];
}

/** AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1), 4-byte NAL lengths. */
export function writeAvcConfig(config: AvcConfig): Uint8Array {
  const first = config.sps[0];
  if (!first || first.length < 4) throw new BitstreamError('an avcC needs at least one SPS', 'avcC');
  const sps = parseH264Sps(first);
  const ext = [100, 110, 122, 144].includes(sps.profileIdc);
  let size = 7 + (ext ? 4 : 0);
  for (const n of [...config.sps, ...config.pps]) size += 2 + n.length;
  const out = new Uint8Array(size);
  let o = 0;
  out[o++] = 1;
  out[o++] = first[1]!;
  out[o++] = first[2]!;
  out[o++] = first[3]!;
  out[o++] = 0xfc | 3;
  out[o++] = 0xe0 | config.sps.length;
  for (const n of config.sps) {
    out[o++] = n.length >> 8;
    out[o++] = n.length & 0xff;
    out.set(n, o);
    o += n.length;
  }
  out[o++] = config.pps.length;
  for (const n of config.pps) {
    out[o++] = n.length >> 8;
    out[o++] = n.length & 0xff;
    out.set(n, o);
    o += n.length;
  }
  if (ext) {
    out[o++] = 0xfc | sps.chromaFormatIdc;
    out[o++] = 0xf8 | (sps.bitDepthLuma - 8);
    out[o++] = 0xf8 | (sps.bitDepthChroma - 8);
    out[o] = 0; // numOfSequenceParameterSetExt
  }
  return out;
}

export function parseAvcConfig(record: Uint8Array): AvcConfig {
  const fail = (why: string) => new BitstreamError(why, 'avcC');
  if (record.length < 7 || record[0] !== 1) throw fail('not an AVCDecoderConfigurationRecord version 1');
  let o = 5;
  const read = (count: number, into: Uint8Array[]) => {
    for (let i = 0; i < count; i++) {
      if (o + 2 > record.length) throw fail('truncated');
      const len = (record[o]! << 8) | record[o + 1]!;
      o += 2;
      if (o + len > record.length) throw fail('truncated parameter set');
      into.push(record.subarray(o, o + len));
      o += len;
    }
  };
  const sps: Uint8Array[] = [];
  const pps: Uint8Array[] = [];
  read(record[o++]! & 0x1f, sps);
  if (o >= record.length) throw fail('truncated');
  read(record[o++]!, pps);
  return { sps, pps };
}

/** Drops AUD and parameter sets (they belong in the sample entry) and prefixes 4-byte lengths. */
export function h264Sample(units: readonly Uint8Array[]): Uint8Array {
  return lengthPrefixed(units.filter((u) => {
    const t = h264NalType(u);
    return t !== H264NalType.aud && t !== H264NalType.sps && t !== H264NalType.pps;
  }));
}

export function lengthPrefixed(units: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const u of units) size += 4 + u.length;
  const out = new Uint8Array(size);
  let o = 0;
  for (const u of units) {
    out[o] = u.length >>> 24;
    out[o + 1] = (u.length >>> 16) & 0xff;
    out[o + 2] = (u.length >>> 8) & 0xff;
    out[o + 3] = u.length & 0xff;
    out.set(u, o + 4);
    o += 4 + u.length;
  }
  return out;
}

/** Parameter sets of an access unit (its bytes, or its NAL units already split). */
export function h264ParameterSets(accessUnit: Uint8Array | readonly Uint8Array[]): AvcConfig {
  const sps: Uint8Array[] = [];
  const pps: Uint8Array[] = [];
  for (const u of accessUnit instanceof Uint8Array ? splitAnnexB(accessUnit) : accessUnit) {
    const t = h264NalType(u);
    if (t === H264NalType.sps) sps.push(u);
    else if (t === H264NalType.pps) pps.push(u);
  }
  return { sps, pps };
}
