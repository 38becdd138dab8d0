/**
 * What the services need from the bus. NatsMediaBus (a cluster) and MemoryMediaBus (`jt1078
 * start` on one machine) both provide it, and one contract test suite holds them to it.
 */
import type { EventEnvelope } from './event-envelope.js';
import type { FrameEnvelope } from './frame-envelope.js';
import type { StreamKind } from './subjects.js';

/** How congested publishing is: 0 free, 1 soft (drop non-key frames), 2 hard (drop all). */
export type BusPressure = 0 | 1 | 2;

export interface FrameFilter {
  readonly streamKind: StreamKind;
  /** Omitted: every SIM/channel of that kind. */
  readonly sim?: string;
  readonly channel?: number;
}

export interface Unsubscribe {
  (): void;
}

export type EventOutcome = 'ack' | { readonly retryInMs: number };

export interface PendingBusEvent {
  readonly event: EventEnvelope;
  /** Position in the events stream: orders events of one key. */
  readonly order: number;
  /** 1 on first delivery, more after a consumer died holding it. */
  readonly deliveryCount: number;
  ack(): Promise<void>;
  /** Keeps the event held (a retry is waiting) past the redelivery deadline. */
  keepAlive(): void;
  /**
   * Whether an earlier event with the same type and key is still unacknowledged somewhere else
   * (held by another relay, or by one that died and whose hold has not yet expired): delivering
   * this one now would put a leave before its join.
   */
  earlierElsewhere(): Promise<boolean>;
}

export interface BusStats {
  framesPublished: number;
  bytesPublished: number;
  chunkedFrames: number;
  framesDropped: number;
  reassemblyTimeouts: number;
  eventsPublished: number;
}

export interface MediaBus {
  readonly stats: BusStats;
  publishFrame(frame: FrameEnvelope): void;
  pressure(): BusPressure;
  /**
   * Frames for `filter`, in order. With `fromWindow`, first those the bus retains for that
   * stream (the last ~30 s), then live ones, with no gap and no duplicate at the seam.
   */
  subscribeFrames(filter: FrameFilter, handler: (frame: FrameEnvelope) => void, opts?: { fromWindow?: boolean }): Promise<Unsubscribe>;
  /** Resolves once the event is stored durably. */
  publishEvent(event: EventEnvelope): Promise<void>;
  /** Hands every stored event to `handler` until acknowledged; a crash redelivers what was not. */
  consumeEvents(durable: string, handler: (pending: PendingBusEvent) => void): Promise<Unsubscribe>;
  publishDeadLetter(event: EventEnvelope, reason: string): Promise<void>;
  close(): Promise<void>;
}
