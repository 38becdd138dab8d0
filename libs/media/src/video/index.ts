/**
 * The one bridge from an Annex-B access unit to what the muxer, the console and `inspect` need:
 * dimensions, codec string, the decoder configuration record, and samples. Device SPS timing is
 * often absent or wrong, so nothing here decides frame durations: the JT1078 timestamps do.
 */
import { h264NalType, h265NalType, splitAnnexB } from '../annexb/index.js';
import { BitstreamError } from '../bits/index.js';
import { h264CodecString, h264ParameterSets, h264Sample, parseH264Sps, writeAvcConfig } from '../h264/index.js';
import { h265CodecString, h265ParameterSets, h265Sample, parseH265Sps, writeHevcConfig } from '../h265/index.js';

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
  return describeUnits(codec, splitAnnexB(accessUnit));
}

function describeUnits(codec: 'h264' | 'h265', units: readonly Uint8Array[]): VideoDescription | undefined {
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

/** The first VCL NAL unit decides (see isRandomAccess), over units already split. */
function isRandomAccessUnits(codec: 'h264' | 'h265', units: readonly Uint8Array[]): boolean {
  for (const u of units) {
    if (codec === 'h264') {
      const t = h264NalType(u);
      if (t >= 1 && t <= 5) return t === 5;
    } else {
      const t = h265NalType(u);
      if (t <= 31) return t >= 16 && t <= 23;
    }
  }
  return false;
}

export interface VideoSample {
  /** Length-prefixed NAL units (4-byte lengths), parameter sets and AUDs removed. */
  readonly data: Uint8Array;
  readonly keyFrame: boolean;
}

/**
 * Follows one stream's parameter sets: converts every access unit to a sample, and says when the
 * parameter sets changed (a new resolution, a device restart), so the muxer can start a new init
 * segment. Frames before the first parameter sets cannot be decoded and are reported as such.
 */
export class VideoParameterSetTracker {
  #description: VideoDescription | undefined;
  #configKey = '';
  /** Access units dropped because no parameter sets had been seen yet. */
  waitingForParameterSets = 0;
  changes = 0;

  constructor(readonly codec: 'h264' | 'h265') {}

  get description(): VideoDescription | undefined {
    return this.#description;
  }

  /** The sample for `accessUnit`, whether the description changed, or undefined if undecodable yet. */
  push(accessUnit: Uint8Array): { sample: VideoSample; changed: boolean } | undefined {
    let changed = false;
    const units = splitAnnexB(accessUnit);
    const keyFrame = isRandomAccessUnits(this.codec, units);
    if (keyFrame || !this.#description) {
      const d = describeUnits(this.codec, units);
      if (d) {
        const key = Buffer.from(d.configRecord).toString('base64');
        if (key !== this.#configKey) {
          changed = true;
          this.#configKey = key;
          this.#description = d;
          this.changes++;
        }
      }
    }
    if (!this.#description) {
      this.waitingForParameterSets++;
      return undefined;
    }
    const data = this.codec === 'h264' ? h264Sample(units) : h265Sample(units);
    return { sample: { data, keyFrame }, changed };
  }
}
