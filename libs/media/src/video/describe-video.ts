/**
 * The one bridge from an Annex-B access unit to what the muxer, the console and `inspect` need:
 * dimensions, codec string and the decoder configuration record. Device SPS timing is
 * often absent or wrong, so nothing here decides frame durations: the JT1078 timestamps do.
 */
import { splitAnnexB } from '../annexb/annexb.js';
import { BitstreamError } from '../bits/bitstream-error.js';
import { writeAvcConfig } from '../h264/avc-config.js';
import { h264CodecString } from '../h264/codec-string.js';
import { h264ParameterSets } from '../h264/parameter-sets.js';
import { parseH264Sps } from '../h264/sps.js';
import { h265CodecString } from '../h265/codec-string.js';
import { writeHevcConfig } from '../h265/hevc-config.js';
import { h265ParameterSets } from '../h265/parameter-sets.js';
import { parseH265Sps } from '../h265/sps.js';

export interface VideoDescription {
  readonly codec: 'h264' | 'h265';
  readonly width: number;
  readonly height: number;
  /** RFC 6381 / ISO/IEC 14496-15 Annex E, for the HLS CODECS attribute and MSE. */
  readonly codecString: string;
  readonly profile: number;
  readonly level: number;
  readonly fps?: number;
  /** avcC or hvcC payload for the sample entry. */
  readonly configRecord: Uint8Array;
}

/** Describes the stream from the parameter sets inside `accessUnit`; undefined when it has none. */
export function describeVideo(codec: 'h264' | 'h265', accessUnit: Uint8Array): VideoDescription | undefined {
  return describeVideoUnits(codec, splitAnnexB(accessUnit));
}

/** The same, over NAL units already split. */
export function describeVideoUnits(codec: 'h264' | 'h265', units: readonly Uint8Array[]): VideoDescription | undefined {
  try {
    if (codec === 'h264') {
      const ps = h264ParameterSets(units);
      if (ps.sps.length === 0 || ps.pps.length === 0) return undefined;
      const sps = parseH264Sps(ps.sps[0]!);
      const d = { codec, width: sps.width, height: sps.height, codecString: h264CodecString(sps), profile: sps.profileIdc, level: sps.levelIdc, configRecord: writeAvcConfig(ps) };
      return sps.fps === undefined ? d : { ...d, fps: sps.fps };
    }
    const ps = h265ParameterSets(units);
    if (ps.vps.length === 0 || ps.sps.length === 0 || ps.pps.length === 0) return undefined;
    const sps = parseH265Sps(ps.sps[0]!);
    return { codec, width: sps.width, height: sps.height, codecString: h265CodecString(sps), profile: sps.ptl.profileIdc, level: sps.ptl.levelIdc, configRecord: writeHevcConfig(ps) };
  } catch (err) {
    if (err instanceof BitstreamError) return undefined;
    throw err;
  }
}
