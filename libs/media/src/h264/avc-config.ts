/** The AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1): the avcC an MP4 or FLV sample entry carries. */
import { BitstreamError } from '../bits/bitstream-error.js';
import { parseH264Sps } from './sps.js';

export interface AvcConfig {
  readonly sps: readonly Uint8Array[];
  readonly pps: readonly Uint8Array[];
}

/** AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1), 4-byte NAL lengths. */
export function writeAvcConfig(config: AvcConfig): Uint8Array {
  const first = config.sps[0];
  if (!first || first.length < 4) throw new BitstreamError('an avcC needs at least one SPS', 'avcC');
  const sps = parseH264Sps(first);
  // numOfSequenceParameterSets is 5 bits, numOfPictureParameterSets 8, each length 16 (§5.3.3.1.2).
  if (config.sps.length > 31 || config.pps.length > 255) throw new BitstreamError(`${config.sps.length} SPS and ${config.pps.length} PPS do not fit an avcC`, 'avcC');
  for (const n of [...config.sps, ...config.pps]) if (n.length > 0xffff) throw new BitstreamError(`a parameter set of ${n.length} bytes does not fit an avcC`, 'avcC');
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

/** The parameter sets of an avcC, as views into `record`. */
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
