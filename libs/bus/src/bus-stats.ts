/**
 * What a bus counts, as plain numbers (the services export them to Prometheus). Nothing is
 * dropped without landing in `dropped` under its reason.
 */

export const DropReason = {
  /** Published while the connection was down and the reconnect buffer was full. */
  reconnectBufferFull: 'reconnect-buffer-full',
  /** Published while the client held more unsent bytes than the hard pressure limit (by a publisher that ignores pressure()). */
  outboundFull: 'outbound-full',
  /** Published after close() or while the client refused the publish. */
  closed: 'closed',
  /** A received message that is not a valid envelope (missing or bad headers, bad JSON). */
  malformed: 'malformed',
  /** A received frame whose codec header names no codec DESIGN.md lists (frame-envelope.ts UnknownCodec). */
  unknownCodec: 'unknown-codec',
  /** A chunked frame whose first piece this subscriber never saw (it joined mid-frame). */
  partialChunks: 'partial-chunks',
  /** A chunked frame given up: pieces missing past the reassembly timeout. */
  reassemblyTimeout: 'reassembly-timeout',
  /** A chunked frame given up to keep reassembly memory bounded. */
  reassemblyEvicted: 'reassembly-evicted',
  /** Live frames held during a window replay beyond the hold's bound. */
  seamOverflow: 'seam-overflow',
  /** A subscriber's handler threw; the frame counts as not delivered to it. */
  handlerError: 'handler-error',
  /**
   * Handed to the connection but not yet confirmed by the server (PING/PONG) when the connection
   * dropped: nats.js discards its buffer on reconnect and the socket's bytes die with it, so these
   * are counted as lost (a few of them may have reached the server just before).
   */
  unconfirmedAtDisconnect: 'unconfirmed-at-disconnect',
} as const;
export type DropReason = (typeof DropReason)[keyof typeof DropReason];

export interface BusStats {
  /** Frames accepted: sent, or queued while disconnected (a chunked frame counts once). */
  framesPublished: number;
  bytesPublished: number;
  /** Frames that needed more than one message. */
  chunkedFrames: number;
  /** Messages carrying those frames' pieces. */
  chunksPublished: number;
  /** Sum of `dropped`. */
  framesDropped: number;
  dropped: Record<DropReason, number>;
  /** = dropped['reassembly-timeout'], kept as its own number for dashboards. */
  reassemblyTimeouts: number;
  /** Live frames dropped at a window seam because the window had delivered them (not a loss). */
  seamDuplicates: number;
  eventsPublished: number;
  /** Events redelivered to this bus's consumers (delivery count above 1). */
  eventsRedelivered: number;
  talkPublished: number;
  viewerNoticesPublished: number;
  /** Window replays asked for by subscribeFrames({fromWindow}), by how they ended. */
  replays: { replayed: number; 'no-owner': number; timeout: number };
}

export function newBusStats(): BusStats {
  const dropped = Object.fromEntries(Object.values(DropReason).map((r) => [r, 0])) as Record<DropReason, number>;
  return {
    framesPublished: 0, bytesPublished: 0, chunkedFrames: 0, chunksPublished: 0, framesDropped: 0, dropped,
    reassemblyTimeouts: 0, seamDuplicates: 0, eventsPublished: 0, eventsRedelivered: 0, talkPublished: 0, viewerNoticesPublished: 0,
    replays: { replayed: 0, 'no-owner': 0, timeout: 0 },
  };
}

export function countDrop(stats: BusStats, reason: DropReason, n = 1): void {
  stats.dropped[reason] += n;
  stats.framesDropped += n;
  if (reason === DropReason.reassemblyTimeout) stats.reassemblyTimeouts += n;
}
