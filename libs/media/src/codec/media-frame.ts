import type { CodecName, MediaKind } from './codec-name.js';

/**
 * One decodable unit: a video access unit in Annex-B, or one audio frame as the device sent it
 * (HiSilicon header already removed). Timestamps are milliseconds.
 */
export interface MediaFrame {
  readonly kind: MediaKind;
  readonly codec: CodecName;
  readonly data: Uint8Array;
  readonly timestamp: number;
  readonly keyFrame: boolean;
}
