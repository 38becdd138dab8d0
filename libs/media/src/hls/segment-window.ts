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
   * Lists `msn` as a gap (EXT-X-GAP): a number the stream used whose media this packager never
   * got. It has no bytes and no parts, and is served as missing.
   */
  addGap(gap: { readonly msn: number; readonly mapUri: string; readonly discontinuity: number; readonly durationSec: number }): WindowSegment {
    const segment: WindowSegment = { ...gap, uri: `seg-${gap.msn}.m4s`, parts: [], data: new Uint8Array(0), gap: true };
    this.#push(segment);
    return segment;
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
