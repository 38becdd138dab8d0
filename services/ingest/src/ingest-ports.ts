/**
 * What the ingest needs from the bus and the store, declared narrowly here (mediamtx style):
 * the NATS/JetStream and Redis adapters, and their in-process twins, satisfy these.
 */
import type { FrameEnvelope } from '@jt1078/bus';
import type { SegmentCursor } from '@jt1078/numbering';
import type { BusPressure } from './key-frame-gate.js';

export type StreamKind = 'live' | 'playback';

/** What the ingest publishes: the bus's frame envelope, for a live or playback stream. */
export type IngestFrame = FrameEnvelope & { readonly streamKind: StreamKind };

export interface FramePublisher {
  publishFrame(frame: IngestFrame): void;
  /** How congested the path to the bus is right now. */
  pressure(): BusPressure;
}

export interface IngestEvent {
  readonly id: string;
  readonly type: 'realtime' | 'playback';
  readonly action: 'join' | 'leave';
  readonly streamKey: string;
  readonly body: Readonly<Record<string, unknown>>;
}

export interface EventPublisher {
  /** Resolves once the event is durable (JetStream ack); rejects when it could not be stored. */
  publishEvent(event: IngestEvent): Promise<void>;
}

export interface StreamOwner {
  readonly pod: string;
  readonly connectionId: string;
  readonly sim: string;
  readonly channel: number;
  readonly kind: StreamKind;
  readonly startTime: string;
  /** The join body, kept so that whoever reaps a dead pod's entry can emit the matching leave. */
  readonly joinBody: Readonly<Record<string, unknown>>;
  /** What /api/v1/streams shows of the stream (stream-stats.ts), refreshed with each heartbeat. */
  readonly meta?: Readonly<Record<string, unknown>>;
}

export interface StreamNameClaims {
  /** The name granted: `baseName`, or `baseName-<unix ms>` when it is taken (DESIGN.md). */
  claim(baseName: string, owner: StreamOwner, ttlMs: number): Promise<string>;
  /**
   * As claim, but a name whose holder's pod is dead is taken over (`takenOver`: its leave is
   * ours to emit); with `wait`, a name held on another live pod gives no name (ask again).
   */
  claimName(baseName: string, owner: StreamOwner, ttlMs: number, opts?: { readonly wait?: boolean }): Promise<{
    readonly name: string | undefined;
    readonly takenOver?: StreamOwner & { readonly name: string };
    readonly heldBy?: string;
  }>;
  /** Where the numbering stands, at every segment mark (one write per segment): outlives a crash. */
  saveCursor(name: string, cursor: SegmentCursor): Promise<void>;
  /** Extends the deadline, re-registering an entry that is gone; false when another holds it. */
  renew(name: string, owner: StreamOwner, ttlMs: number): Promise<boolean>;
  /** Frees the name, leaving `cursor` for its next connection. */
  release(name: string, connectionId: string, cursor?: SegmentCursor): Promise<void>;
  /** Where the name's previous connection left its HLS numbering, if it ended cleanly (taken once). */
  takeCursor(name: string): Promise<SegmentCursor | undefined>;
}
