/** What a track of the fMP4 is: the fields the init segment's sample entries need. */
import type { Bytes } from './box.js';

export const VIDEO_TIMESCALE = 90000;

export interface VideoTrackInfo {
  readonly kind: 'video';
  readonly id: number;
  readonly codec: 'h264' | 'h265';
  readonly width: number;
  readonly height: number;
  /** avcC / hvcC payload. */
  readonly configRecord: Bytes;
}

export interface AudioTrackInfo {
  readonly kind: 'audio';
  readonly id: number;
  readonly codec: 'opus' | 'aac';
  readonly sampleRate: number;
  readonly channels: number;
  readonly preSkip?: number;
  /** Opus: the rate the audio had before encoding (8000 for G.711), for dOps. */
  readonly inputSampleRate?: number;
  readonly audioSpecificConfig?: Bytes;
}

export type TrackInfo = VideoTrackInfo | AudioTrackInfo;

export function timescaleOf(track: TrackInfo): number {
  return track.kind === 'video' ? VIDEO_TIMESCALE : track.sampleRate;
}
