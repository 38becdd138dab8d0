/**
 * Decides where a stream's HLS segments begin, and numbers them. In the cluster the ingest — the
 * one writer that sees a stream from its first frame — runs it and marks the frame that opens
 * each segment (SegmentHeader.segment, segment-mark.ts), so every packager replica, and one that
 * joins late or restarts from the retained window, cuts the same segments with the same media
 * sequence numbers (boundaries from the stream's own data, never from when a packager joined or
 * its clock). `jt1078 package` runs the same rule over a capture.
 *
 * The rule: a video key frame opens a segment when at least the target duration (less a
 * tolerance of a quarter of it) has passed since the last one opened; the stream's first key frame always does.
 * Until a stream has shown video, audio frames open segments on time (an audio-only stream);
 * the first key frame then opens one, and from there only key frames do.
 *
 * Numbers are `base + n`. A device's first connection under a name starts at its start time in
 * unix ms; a connection that continues a name (the registry's cursor, segment-cursor.ts, left
 * by the one before) starts where that one stopped, so the playlist goes on. Either way a number
 * is never above the wall clock in ms at its segment's start (each segment lasts at least a
 * millisecond), so a fresh start is above everything used before and no segment URI is ever
 * reused for other bytes behind a CDN.
 */

/**
 * A GOP that falls short of the target by up to this share of it still closes the segment:
 * arrival-timed streams put a 1 s GOP at 0.9 s on a busy link, and waiting for the next key
 * frame would make the segment a GOP too long (and TARGETDURATION grow).
 */
export const SEGMENT_TOLERANCE_RATIO = 0.25;

export interface MarkableFrame {
  readonly mediaKind: 'video' | 'audio';
  readonly keyFrame: boolean;
  /** The published (monotonic) timestamp, ms. */
  readonly timestamp: number;
}

export class SegmentMarker {
  #next: number;
  #lastStart: number | undefined;
  #sawVideo = false;
  readonly #audioMarks: boolean;

  constructor(
    private readonly targetMs: number,
    /** The first segment's number: the connection's start, unix ms. */
    base: number,
    /** `audioMarks: false` — the stream is known to have video: audio never opens a segment. */
    opts: { readonly audioMarks?: boolean } = {},
  ) {
    if (!Number.isSafeInteger(base) || base < 0) throw new RangeError(`segment base ${base} must be a non-negative integer`);
    this.#next = base;
    this.#audioMarks = opts.audioMarks ?? true;
  }

  /**
   * The media sequence number of the segment `frame` opens, or undefined when it opens none.
   * `force`: this key frame opens one whatever the time (its parameter sets changed: a new init
   * segment can only begin with a segment).
   */
  mark(frame: MarkableFrame, opts: { readonly force?: boolean } = {}): number | undefined {
    if (frame.mediaKind === 'video') {
      if (!frame.keyFrame) return undefined;
      if (!this.#sawVideo || opts.force) {
        this.#sawVideo = true;
        return this.#open(frame.timestamp);
      }
      return this.#due(frame.timestamp, this.targetMs * SEGMENT_TOLERANCE_RATIO) ? this.#open(frame.timestamp) : undefined;
    }
    if (this.#sawVideo || !this.#audioMarks) return undefined;
    return this.#lastStart === undefined || this.#due(frame.timestamp, 0) ? this.#open(frame.timestamp) : undefined;
  }

  /** Whether a video frame has been seen (a continuing connection then waits for key frames). */
  get sawVideo(): boolean {
    return this.#sawVideo;
  }

  /** The number the next segment opened will get (a cursor for the stream's next connection). */
  get next(): number {
    return this.#next;
  }

  #due(ts: number, tolerance: number): boolean {
    return this.#lastStart === undefined || ts - this.#lastStart >= this.targetMs - tolerance;
  }

  #open(ts: number): number {
    this.#lastStart = ts;
    return this.#next++;
  }
}
