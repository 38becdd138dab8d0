/**
 * What the services need from the bus. NatsMediaBus (a cluster) and MemoryMediaBus (`jt1078
 * start` on one machine) both provide it, and one contract suite (media-bus.contract.ts) holds
 * them to it. The parts are separate interfaces so a consumer declares only what it uses: the
 * ingest a FrameBus and an EventBus, the webhook an EventBus, the packager a FrameBus and a
 * ViewerBus, the intercom a FrameBus and a TalkBus.
 */
import type { BusStats } from './bus-stats.js';
import type { EventEnvelope } from './event-envelope.js';
import type { FrameEnvelope } from './frame-envelope.js';
import type { StreamKind } from './subjects.js';
import type { TalkAudio } from './talk-envelope.js';
import type { ViewerNotice } from './viewer-notice.js';

/** An operation on a bus after close(). */
export class BusClosed extends Error {
  override readonly name = 'BusClosed';
  readonly kind = 'bus-closed';
  constructor(readonly operation: string) {
    super(`${operation}: the bus is closed`);
  }
}

/** `subscribeFrames({fromWindow})` with a wildcard: a window is asked of one stream's owner, by a literal subject. */
export class WindowNeedsOneStream extends Error {
  override readonly name = 'WindowNeedsOneStream';
  readonly kind = 'window-needs-one-stream';
  constructor() {
    super('subscribeFrames with fromWindow needs a SIM and a channel (the window is asked of the one pod that owns the stream)');
  }
}

/** How congested publishing is: 0 free, 1 soft (pass key frames and their GOP only), 2 hard (drop all). */
export type BusPressure = 0 | 1 | 2;

export interface FrameFilter {
  readonly streamKind: StreamKind;
  /** Omitted: every SIM (and channel) of that kind. */
  readonly sim?: string;
  readonly channel?: number;
}

export interface Unsubscribe {
  (): void;
}

export interface SubscribeFramesOptions {
  /**
   * First deliver the stream's recent window (kept by the pod that publishes it: the last ~16 s,
   * oldest first, every frame from a segment mark, so the packager rebuilds its playlist window
   * from it), then continue live, with no gap and no duplicate at the seam. Needs an exact SIM
   * and channel (WindowNeedsOneStream otherwise). A stream nobody owns has no window: live only.
   */
  readonly fromWindow?: boolean;
}

export interface FrameBus {
  /**
   * Fire and forget (core NATS, no per-frame ack): never blocks the caller and never throws for
   * a transport problem — a frame that cannot go out is counted in `stats.dropped`. Throws
   * InvalidSubjectToken/MalformedEnvelope for a frame that can never be valid (caller's bug).
   */
  publishFrame(frame: FrameEnvelope): void;
  /** Publishers check this per frame and drop (counted on their side) under pressure. */
  pressure(): BusPressure;
  subscribeFrames(filter: FrameFilter, handler: (frame: FrameEnvelope) => void, opts?: SubscribeFramesOptions): Promise<Unsubscribe>;
}

/** One stored event handed to a consumer; exactly one of ack/retry settles it. */
export interface PendingBusEvent {
  readonly event: EventEnvelope;
  /** Position in the events stream: orders events of one key. */
  readonly order: number;
  /** 1 on first delivery, more after a consumer died holding it or asked for a retry. */
  readonly deliveryCount: number;
  /** Done with it: it is removed and never delivered again. */
  ack(): Promise<void>;
  /** Deliver it again after `delayMs` (to this or another consumer of the same durable). */
  retry(delayMs: number): void;
  /** Still working on it: push back the redelivery deadline (a long retry is waiting). */
  keepAlive(): void;
  /**
   * Whether an earlier event with the same type and stream key is still unacknowledged and held
   * by someone else (another consumer of the durable, or one that died and whose hold has not
   * expired yet): delivering this one now would put a leave before its join.
   */
  earlierElsewhere(): Promise<boolean>;
}

export interface EventBus {
  /** Resolves once the event is stored durably (JetStream ack); rejects when it could not be. */
  publishEvent(event: EventEnvelope): Promise<void>;
  /**
   * Hands every stored event to `handler` until it is acknowledged. `durable` names the
   * consumer: pods using one name share the work; a consumer that stops (or crashes) holding
   * unacknowledged events has them delivered again to the next one.
   */
  consumeEvents(durable: string, handler: (pending: PendingBusEvent) => void): Promise<Unsubscribe>;
  /**
   * A tap, not a consumer: every event published from now on is shown to `handler` as it is
   * published, without taking it from the consumers (the webhook's work queue keeps it) and
   * without a history. At least once: a publisher's re-send of one id can be seen twice
   * (NATS sees every publish; only JetStream's store drops the duplicate), so watchers that
   * count de-duplicate by id.
   */
  watchEvents(handler: (event: EventEnvelope) => void): Promise<Unsubscribe>;
  /** Keeps an event the webhook gave up on, with why (kept 30 days, outside the work queue). */
  publishDeadLetter(event: EventEnvelope, reason: string): Promise<void>;
}

export interface TalkFilter {
  readonly sim?: string;
  readonly channel?: number;
}

export interface TalkBus {
  /** Fire and forget, like frames; no window (late talk audio is useless). */
  publishTalk(audio: TalkAudio): void;
  subscribeTalk(filter: TalkFilter, handler: (audio: TalkAudio) => void): Promise<Unsubscribe>;
}

export interface ViewerFilter {
  readonly streamKind?: StreamKind;
  readonly sim?: string;
  readonly channel?: number;
}

export interface ViewerBus {
  publishViewers(notice: ViewerNotice): void;
  subscribeViewers(filter: ViewerFilter, handler: (notice: ViewerNotice) => void): Promise<Unsubscribe>;
}

export type BusStatus = 'connected' | 'disconnected' | 'reconnected' | 'closed';

export interface MediaBus extends FrameBus, EventBus, TalkBus, ViewerBus {
  readonly stats: BusStats;
  /** Connection changes, for health (`/readyz` blocks while disconnected). */
  onStatus(listener: (status: BusStatus, detail?: string) => void): Unsubscribe;
  /** Lets subscriptions finish what they received, flushes what was published, then closes. */
  drain(): Promise<void>;
  /** Flushes what was published (bounded wait) and closes; subscriptions stop at once. */
  close(): Promise<void>;
}
