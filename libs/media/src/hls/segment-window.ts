/**
 * The complete segments a live playlist lists: the newest `size` of them (the live window), or
 * every one when `size` is 0 (offline packaging). A segment's bytes are its parts' bytes one
 * after the other, held once: its parts are views into it, so a CDN caches the same media under
 * both names without the packager holding it twice.
 */
import { concatBytes } from '../bytes/concat-bytes.js';
import type { PlaylistPart, PlaylistSegment } from './ll-hls-playlist.js';

export interface MediaPart extends PlaylistPart {
  readonly data: Uint8Array;
}

export interface WindowSegment extends PlaylistSegment {
  readonly parts: readonly MediaPart[];
  readonly data: Uint8Array;
}

/** A segment as it closes: its number, what it refers to, and its parts' own bytes. */
export interface ClosedSegment {
  readonly msn: number;
  readonly mapUri: string;
  readonly discontinuity: number;
  readonly parts: readonly MediaPart[];
}

/**
 * Numbers at most listed as gaps between two segments: an empty segment and the few a crashed
 * ingest can number without delivering (MAX_LOST_SEGMENTS in @jt1078/numbering). A longer jump is
 * a numbering that started afresh, which the caller handles by starting a new playlist.
 */
export const MAX_GAP_SEGMENTS = 3;

/**
 * EXTINF of a gap: a frame's time, under hls.js' default maxBufferHole (0.1 s), so a player that
 * does not know EXT-X-GAP steps over the hole it leaves as it would over any small one. What was
 * lost has no length on the timeline after a discontinuity, and within a connection the media's
 * own timestamps place the next segment.
 */
export const GAP_DURATION_SEC = 0.04;

export class SegmentWindow {
  readonly #segments: WindowSegment[] = [];

  /** `size`: complete segments kept; 0 keeps all. */
  constructor(readonly size: number) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`a window of ${size} segments must be a non-negative integer`);
  }

  /** Adds a segment (named `seg-<msn>.m4s`) and drops the oldest beyond the window. */
  add(closed: ClosedSegment): WindowSegment {
    const data = concatBytes(closed.parts.map((p) => p.data));
    let offset = 0;
    const parts = closed.parts.map((p) => {
      const view = data.subarray(offset, offset + p.data.length);
      offset += p.data.length;
      return { ...p, data: view };
    });
    const durationSec = closed.parts.reduce((n, p) => n + p.durationSec, 0);
    const segment: WindowSegment = { msn: closed.msn, uri: `seg-${closed.msn}.m4s`, durationSec, parts, mapUri: closed.mapUri, discontinuity: closed.discontinuity, data };
    this.#push(segment);
    return segment;
  }

  /**
   * Lists the numbers between the last segment and `nextMsn` as gaps (EXT-X-GAP), in the
   * sequence they belonged to: numbers the stream used whose media this packager never got (an
   * empty segment, frames a crashed ingest counted and never sent). Without them every later
   * segment would be listed under a number too low. A gap has no bytes and no parts, and is
   * served as missing. Nothing is listed for a jump beyond MAX_GAP_SEGMENTS. Returns how many.
   */
  addGapsBefore(nextMsn: number, before: { readonly mapUri: string; readonly discontinuity: number }): number {
    const listed = this.last?.msn;
    if (listed === undefined || nextMsn <= listed + 1 || nextMsn - listed - 1 > MAX_GAP_SEGMENTS) return 0;
    for (let msn = listed + 1; msn < nextMsn; msn++) this.#push({ msn, ...before, durationSec: GAP_DURATION_SEC, uri: `seg-${msn}.m4s`, parts: [], data: new Uint8Array(0), gap: true });
    return nextMsn - listed - 1;
  }

  #push(segment: WindowSegment): void {
    this.#segments.push(segment);
    if (this.size > 0) while (this.#segments.length > this.size) this.#segments.shift();
  }

  /** Oldest first. */
  get segments(): readonly WindowSegment[] {
    return this.#segments;
  }

  get last(): WindowSegment | undefined {
    return this.#segments[this.#segments.length - 1];
  }

  /** The segment numbered `msn` that has media (a gap is not found). */
  find(msn: number): WindowSegment | undefined {
    return this.#segments.find((s) => s.msn === msn && !s.gap);
  }
}
