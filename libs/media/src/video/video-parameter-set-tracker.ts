import { splitAnnexB } from '../annexb/annexb.js';
import { isRandomAccessUnits } from '../annexb/is-random-access.js';
import { h264Sample } from '../h264/sample.js';
import { h265Sample } from '../h265/sample.js';
import { describeVideoUnits, type VideoDescription } from './describe-video.js';

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
      const d = describeVideoUnits(this.codec, units);
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
