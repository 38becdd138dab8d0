/**
 * H.265 parameter sets and samples: profile_tier_level and the SPS fields up to the picture size
 * (ITU-T H.265 §7.3.3, §7.3.2.2.1), the codec string (ISO/IEC 14496-15 Annex E.3), the
 * HEVCDecoderConfigurationRecord (§8.3.3.1) and access units to length-prefixed samples.
 */
import { h265NalType, splitAnnexB } from '../annexb/index.js';
import { BitReader, BitstreamError, removeEmulationPrevention } from '../bits/index.js';
import { lengthPrefixed } from '../h264/index.js';

export const H265NalType = { vps: 32, sps: 33, pps: 34, aud: 35, seiPrefix: 39 } as const;

export interface ProfileTierLevel {
  readonly profileSpace: number;
  readonly tierFlag: number;
  readonly profileIdc: number;
  readonly compatibilityFlags: number;
  /** general_progressive_source_flag .. 48 bits, as six bytes. */
  readonly constraintFlags: Uint8Array;
  readonly levelIdc: number;
}

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

function readProfileTierLevel(r: BitReader, maxSubLayersMinus1: number): ProfileTierLevel {
  const profileSpace = r.u(2);
  const tierFlag = r.u(1);
  const profileIdc = r.u(5);
  const compatibilityFlags = r.u(32);
  const constraintFlags = new Uint8Array(6);
  for (let i = 0; i < 6; i++) constraintFlags[i] = r.u(8);
  const levelIdc = r.u(8);
  const profilePresent: boolean[] = [];
  const levelPresent: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(r.flag());
    levelPresent.push(r.flag());
  }
  if (maxSubLayersMinus1 > 0) for (let i = maxSubLayersMinus1; i < 8; i++) r.skip(2);
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (profilePresent[i]) r.skip(88);
    if (levelPresent[i]) r.skip(8);
  }
  return { profileSpace, tierFlag, profileIdc, compatibilityFlags, constraintFlags, levelIdc };
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
  return { ptl, maxSubLayersMinus1, temporalIdNesting, chromaFormatIdc, bitDepthLuma, bitDepthChroma, width, height };
}

function reverseBits32(v: number): number {
  let out = 0;
  for (let i = 0; i < 32; i++) out = (out << 1) | ((v >>> i) & 1);
  return out >>> 0;
}

/** ISO/IEC 14496-15 E.3: `hvc1.1.6.L93.B0` (profile, reversed compatibility flags, tier+level, constraints). */
export function h265CodecString(sps: H265Sps): string {
  const p = sps.ptl;
  const space = ['', 'A', 'B', 'C'][p.profileSpace] ?? '';
  const constraints = [...p.constraintFlags];
  while (constraints.length > 0 && constraints[constraints.length - 1] === 0) constraints.pop();
  const tail = constraints.map((b) => b.toString(16).toUpperCase()).join('.');
  return `hvc1.${space}${p.profileIdc}.${reverseBits32(p.compatibilityFlags).toString(16).toUpperCase()}.${p.tierFlag ? 'H' : 'L'}${p.levelIdc}${tail ? `.${tail}` : ''}`;
}

export interface HevcConfig {
  readonly vps: readonly Uint8Array[];
  readonly sps: readonly Uint8Array[];
  readonly pps: readonly Uint8Array[];
}

/** HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1.2), 4-byte NAL lengths. */
export function writeHevcConfig(config: HevcConfig): Uint8Array {
  const first = config.sps[0];
  if (!first) throw new BitstreamError('an hvcC needs at least one SPS', 'hvcC');
  const sps = parseH265Sps(first);
  const arrays: Array<[number, readonly Uint8Array[]]> = [
    [H265NalType.vps, config.vps],
    [H265NalType.sps, config.sps],
    [H265NalType.pps, config.pps],
  ];
  let size = 23;
  for (const [, nals] of arrays) {
    size += 3;
    for (const n of nals) size += 2 + n.length;
  }
  const out = new Uint8Array(size);
  const p = sps.ptl;
  out[0] = 1;
  out[1] = (p.profileSpace << 6) | (p.tierFlag << 5) | p.profileIdc;
  out[2] = p.compatibilityFlags >>> 24;
  out[3] = (p.compatibilityFlags >>> 16) & 0xff;
  out[4] = (p.compatibilityFlags >>> 8) & 0xff;
  out[5] = p.compatibilityFlags & 0xff;
  out.set(p.constraintFlags, 6);
  out[12] = p.levelIdc;
  out[13] = 0xf0; // min_spatial_segmentation_idc = 0
  out[14] = 0x00;
  out[15] = 0xfc; // parallelismType = 0 (unknown)
  out[16] = 0xfc | sps.chromaFormatIdc;
  out[17] = 0xf8 | (sps.bitDepthLuma - 8);
  out[18] = 0xf8 | (sps.bitDepthChroma - 8);
  out[19] = 0; // avgFrameRate
  out[20] = 0;
  // constantFrameRate 0, numTemporalLayers, temporalIdNested, lengthSizeMinusOne 3.
  out[21] = ((sps.maxSubLayersMinus1 + 1) << 3) | ((sps.temporalIdNesting ? 1 : 0) << 2) | 3;
  out[22] = arrays.length;
  let o = 23;
  for (const [type, nals] of arrays) {
    // array_completeness = 1: 'hvc1' keeps every parameter set in the sample entry.
    out[o++] = 0x80 | type;
    out[o++] = nals.length >> 8;
    out[o++] = nals.length & 0xff;
    for (const n of nals) {
      out[o++] = n.length >> 8;
      out[o++] = n.length & 0xff;
      out.set(n, o);
      o += n.length;
    }
  }
  return out;
}

export function parseHevcConfig(record: Uint8Array): HevcConfig {
  const fail = (why: string) => new BitstreamError(why, 'hvcC');
  if (record.length < 23 || record[0] !== 1) throw fail('not an HEVCDecoderConfigurationRecord version 1');
  const out: Record<'vps' | 'sps' | 'pps', Uint8Array[]> = { vps: [], sps: [], pps: [] };
  let o = 23;
  for (let a = 0; a < record[22]!; a++) {
    if (o + 3 > record.length) throw fail('truncated');
    const type = record[o]! & 0x3f;
    const count = (record[o + 1]! << 8) | record[o + 2]!;
    o += 3;
    for (let i = 0; i < count; i++) {
      if (o + 2 > record.length) throw fail('truncated');
      const len = (record[o]! << 8) | record[o + 1]!;
      o += 2;
      if (o + len > record.length) throw fail('truncated parameter set');
      const nal = record.subarray(o, o + len);
      o += len;
      if (type === H265NalType.vps) out.vps.push(nal);
      else if (type === H265NalType.sps) out.sps.push(nal);
      else if (type === H265NalType.pps) out.pps.push(nal);
    }
  }
  return out;
}

/** Drops AUD and parameter sets (they belong in the sample entry) and prefixes 4-byte lengths. */
export function h265Sample(units: readonly Uint8Array[]): Uint8Array {
  return lengthPrefixed(units.filter((u) => {
    const t = h265NalType(u);
    return t !== H265NalType.aud && t !== H265NalType.vps && t !== H265NalType.sps && t !== H265NalType.pps;
  }));
}

/** Parameter sets of an access unit (its bytes, or its NAL units already split). */
export function h265ParameterSets(accessUnit: Uint8Array | readonly Uint8Array[]): HevcConfig {
  const out: Record<'vps' | 'sps' | 'pps', Uint8Array[]> = { vps: [], sps: [], pps: [] };
  for (const u of accessUnit instanceof Uint8Array ? splitAnnexB(accessUnit) : accessUnit) {
    const t = h265NalType(u);
    if (t === H265NalType.vps) out.vps.push(u);
    else if (t === H265NalType.sps) out.sps.push(u);
    else if (t === H265NalType.pps) out.pps.push(u);
  }
  return out;
}
