/**
 * Where a stream name's HLS numbering stands, so the device's next connection under the same
 * name continues the same playlist: its first segment is `nextMsn`, and its segments are in
 * discontinuity sequence `discontinuity + 1` (its timestamps start over, RFC 8216bis §4.4.3.3).
 * The ingest writes one at every segment mark (a crash of its pod leaves it behind) and at a
 * clean end; the store keeps it as JSON and hands it to the next claim of the name, once.
 */
export interface SegmentCursor {
  readonly nextMsn: number;
  readonly discontinuity: number;
  /** The stream had video: the next connection's segments begin at key frames only (not at audio that comes first). */
  readonly video?: boolean;
}

export class MalformedSegmentCursor extends Error {
  override readonly name = 'MalformedSegmentCursor';
  readonly kind = 'malformed-segment-cursor';
  constructor(detail: string, options?: ErrorOptions) {
    super(`segment cursor ${detail}`, options);
  }
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** The stored form (segmentCursorFromText reads it back). */
export function segmentCursorText(cursor: SegmentCursor): string {
  return JSON.stringify(cursor);
}

/**
 * Reads a stored cursor, checking every field: a number from another writer's bug would
 * otherwise become a media sequence number behind a CDN. Throws MalformedSegmentCursor.
 */
export function segmentCursorFromText(text: string): SegmentCursor {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new MalformedSegmentCursor(`is not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MalformedSegmentCursor('is not an object');
  const { nextMsn, discontinuity, video } = v as Record<string, unknown>;
  if (!isCount(nextMsn)) throw new MalformedSegmentCursor(`nextMsn ${String(nextMsn)} is not a non-negative integer`);
  if (!isCount(discontinuity)) throw new MalformedSegmentCursor(`discontinuity ${String(discontinuity)} is not a non-negative integer`);
  if (video !== undefined && typeof video !== 'boolean') throw new MalformedSegmentCursor(`video ${String(video)} is not a boolean`);
  return video === undefined ? { nextMsn, discontinuity } : { nextMsn, discontinuity, video };
}
