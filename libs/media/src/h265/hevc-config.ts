/** The HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1): the hvcC an MP4 or FLV sample entry carries. */
import { BitstreamError } from '../bits/bitstream-error.js';
import { H265NalType } from './nal-unit-type.js';
import { parseH265Sps } from './sps.js';

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
  // numNalus and nalUnitLength are 16 bits each (§8.3.3.1.2).
  for (const n of [config.vps, config.sps, config.pps]) if (n.length > 0xffff) throw new BitstreamError(`${n.length} parameter sets of one type do not fit an hvcC`, 'hvcC');
  for (const n of [...config.vps, ...config.sps, ...config.pps]) if (n.length > 0xffff) throw new BitstreamError(`a parameter set of ${n.length} bytes does not fit an hvcC`, 'hvcC');
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

/** The parameter sets of an hvcC, as views into `record`; arrays of other NAL types are skipped. */
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
