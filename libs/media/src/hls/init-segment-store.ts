/**
 * The init segments a stream's segments refer to (EXT-X-MAP), and their names. 'ordinal' names
 * them `init.mp4`, then `init-1.mp4` … after each change (offline directories); 'content' names
 * them `init-<hash of the bytes>.mp4`, the same name on every replica whenever it started (live).
 */
import { createHash } from 'node:crypto';
import { writeInitSegment } from '../fmp4/init-segment-writer.js';
import type { AudioTrackInfo, TrackInfo, VideoTrackInfo } from '../fmp4/track-info.js';

export type InitSegmentNaming = 'ordinal' | 'content';

/** Hex digits of the SHA-256 kept in a content name: 64 bits, no collision among one stream's few init segments. */
const CONTENT_NAME_HEX_DIGITS = 16;

export class InitSegmentStore {
  readonly #inits = new Map<string, Uint8Array>();
  #key = '';
  #currentUri = '';
  #made = 0;

  constructor(readonly naming: InitSegmentNaming) {}

  /** Makes the init segment for these tracks; false (nothing made) when they are the current ones. */
  set(video: VideoTrackInfo | undefined, audio: AudioTrackInfo | undefined): boolean {
    const key = JSON.stringify([video && { ...video, configRecord: Buffer.from(video.configRecord).toString('base64') }, audio && { ...audio, audioSpecificConfig: audio.audioSpecificConfig && Buffer.from(audio.audioSpecificConfig).toString('base64') }]);
    if (key === this.#key) return false;
    this.#key = key;
    const tracks: TrackInfo[] = [video, audio].filter((t): t is TrackInfo => t !== undefined);
    const bytes = writeInitSegment(tracks);
    this.#currentUri = this.naming === 'content'
      ? `init-${createHash('sha256').update(bytes).digest('hex').slice(0, CONTENT_NAME_HEX_DIGITS)}.mp4`
      : this.#made === 0 ? 'init.mp4' : `init-${this.#made}.mp4`;
    this.#inits.set(this.#currentUri, bytes);
    this.#made++;
    return true;
  }

  /** The URI of the init segment made last ('' before any). */
  get currentUri(): string {
    return this.#currentUri;
  }

  get(uri: string): Uint8Array | undefined {
    return this.#inits.get(uri);
  }

  get uris(): readonly string[] {
    return [...this.#inits.keys()];
  }

  /** Forgets every init segment but the current one and those `needed` (the window's segments refer to). */
  keepOnly(needed: Iterable<string>): void {
    const live = new Set(needed).add(this.#currentUri);
    for (const uri of this.#inits.keys()) if (!live.has(uri)) this.#inits.delete(uri);
  }
}
