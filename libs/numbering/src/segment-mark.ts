/**
 * How a segment mark travels with the frame that opens the segment: two NATS headers on the
 * frame (DESIGN.md "NATS": metadata in headers, readable by any NATS client). The bus writes and
 * reads them with the rest of a frame's headers (libs/bus frame-envelope.ts); the names live here
 * so the numbering and its wire form have one owner.
 */
export const SegmentHeader = {
  /** Media sequence number of the HLS segment this frame opens (only on such frames). */
  segment: 'Jt1078-Segment',
  /** Discontinuity sequence number of the segment this frame opens (only on such frames, and only when above 0). */
  discontinuity: 'Jt1078-Discontinuity',
} as const;

/** What the frame that opens a segment carries. */
export interface SegmentMark {
  /** The segment's media sequence number. */
  readonly segment: number;
  /** Its discontinuity sequence number; absent means 0 (the name's first connection). */
  readonly discontinuity?: number;
}
