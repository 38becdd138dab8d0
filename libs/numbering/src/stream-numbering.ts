/**
 * One device connection's segment numbering, as the ingest stamps it on the frames it publishes:
 * where the numbers start (a fresh start, or the cursor the name's previous connection left),
 * which frames open segments (segment-marker.ts), the mark each of those carries, and the cursor
 * to leave for the name's next connection. The packager's side of a reconnect — whether a new
 * connection's first mark continues the playlist — is continuesNumbering, the same rule read back.
 */
import type { SegmentCursor } from './segment-cursor.js';
import type { SegmentMark } from './segment-mark.js';
import { SegmentMarker, type MarkableFrame } from './segment-marker.js';

export class StreamNumbering {
  readonly #marker: SegmentMarker;
  /** This connection's discontinuity sequence number: one more than the name's previous connection's. */
  readonly discontinuity: number;

  constructor(
    /** The segment target duration, ms (cluster.hls.segment_ms). */
    targetMs: number,
    /** The connection's start, unix ms: the first number of a fresh numbering (segment-marker.ts says why). */
    startMs: number,
    /** What the name's previous connection left when it ended (taken from the store), if anything. */
    cursor?: SegmentCursor,
  ) {
    // A stream that had video continues at its next key frame: audio arriving first must not
    // open a segment the packagers (cutting at pictures) would leave empty, a hole in the numbers.
    this.#marker = new SegmentMarker(targetMs, cursor?.nextMsn ?? startMs, { audioMarks: cursor?.video !== true });
    this.discontinuity = cursor ? cursor.discontinuity + 1 : 0;
  }

  /** The mark `frame` carries when it opens a segment, else undefined (frames in published order). */
  mark(frame: MarkableFrame): SegmentMark | undefined {
    const segment = this.#marker.mark(frame);
    if (segment === undefined) return undefined;
    // Discontinuity 0 is left out: the header is absent on a name's first connection.
    return this.discontinuity > 0 ? { segment, discontinuity: this.discontinuity } : { segment };
  }

  /** Where the numbering stands now: saved at every mark (outlives a crash) and left by a clean end. */
  get cursor(): SegmentCursor {
    return { nextMsn: this.#marker.next, discontinuity: this.discontinuity, video: this.#marker.sawVideo };
  }
}

/** Where a packager's playlist stands when another device connection's first mark arrives. */
export interface PlaylistEnd {
  /** The last segment it holds, undefined when it has none. */
  readonly lastMsn: number | undefined;
  /** The discontinuity sequence number it is in. */
  readonly discontinuity: number;
}

/**
 * Segments a pod killed with -9 can have numbered without any of their frames reaching a
 * packager: the cursor is written to the store as a mark is published, so the store can be ahead
 * of what went out by the mark frames still in the dead pod's buffers (less than a segment; two
 * allow for a segment target shorter than the buffering). The playlist lists those numbers as
 * EXT-X-GAP segments (ll-hls-segmenter.ts).
 */
export const MAX_LOST_SEGMENTS = 2;

/**
 * Whether a new connection's first mark continues the playlist (the ingest took the cursor the
 * previous connection left): its segment follows the last one — or the few a crashed pod numbered
 * and never delivered, MAX_LOST_SEGMENTS — in a later discontinuity sequence. Otherwise its
 * numbering started afresh, and so must the playlist.
 */
export function continuesNumbering(end: PlaylistEnd, first: { readonly segment: number; readonly discontinuity?: number | undefined }): boolean {
  return (
    end.lastMsn !== undefined &&
    first.segment > end.lastMsn &&
    first.segment <= end.lastMsn + 1 + MAX_LOST_SEGMENTS &&
    (first.discontinuity ?? 0) > end.discontinuity
  );
}
