/**
 * The in-process bus's events (EventBus, for `jt1078 start` without NATS): held until
 * acknowledged, retried after a delay, handed on when a consumer goes away without acknowledging,
 * de-duplicated by id within a window — the contract the NATS bus keeps with JetStream.
 */
import { DropReason, countDrop, type BusStats } from './bus-stats.js';
import type { EventEnvelope } from './event-envelope.js';
import { BusClosed, type PendingBusEvent, type Unsubscribe } from './media-bus.js';

/** publishEvent on a full in-process queue (nothing consumes events). */
export class EventQueueFull extends Error {
  override readonly name = 'EventQueueFull';
  readonly kind = 'event-queue-full';
  constructor(readonly limit: number) {
    super(`in-process event queue holds ${limit} unacknowledged events: is the webhook relay running?`);
  }
}

export interface MemoryEventQueueOptions {
  readonly ackWaitMs?: number;
  readonly maxEvents?: number;
  readonly duplicateWindowMs?: number;
  readonly now?: () => number;
}

interface Consumer {
  readonly durable: string;
  readonly handler: (pending: PendingBusEvent) => void;
}

interface StoredEvent {
  readonly event: EventEnvelope;
  readonly order: number;
  deliveries: number;
  /** The consumer holding it, until `ackDeadline`. */
  holder: Consumer | undefined;
  ackDeadline: number;
  /** A retry waits until then. */
  notBefore: number;
}

export class MemoryEventQueue {
  readonly deadLetters: Array<{ event: EventEnvelope; reason: string }> = [];
  readonly #eventWatchers = new Set<(e: EventEnvelope) => void>();
  readonly #events: StoredEvent[] = [];
  readonly #recentIds = new Map<string, number>();
  readonly #consumers: Consumer[] = [];
  #nextConsumer = 0;
  #order = 0;
  #wake: NodeJS.Timeout | undefined;
  #wakeAt = Infinity;
  closed = false;
  readonly #ackWaitMs: number;
  readonly #maxEvents: number;
  readonly #duplicateWindowMs: number;
  readonly #now: () => number;

  constructor(private readonly stats: BusStats, opts: MemoryEventQueueOptions = {}) {
    this.#now = opts.now ?? Date.now;
    this.#ackWaitMs = opts.ackWaitMs ?? 30_000;
    this.#maxEvents = opts.maxEvents ?? 100_000;
    this.#duplicateWindowMs = opts.duplicateWindowMs ?? 120_000;
  }

  #call<T>(handler: (v: T) => void, v: T): void {
    try {
      handler(v);
    } catch {
      countDrop(this.stats, DropReason.handlerError);
    }
  }

  async publishEvent(event: EventEnvelope): Promise<void> {
    if (this.closed) throw new BusClosed('publishEvent');
    const now = this.#now();
    for (const [id, at] of this.#recentIds) {
      if (now - at <= this.#duplicateWindowMs) break; // insertion order = publish order
      this.#recentIds.delete(id);
    }
    // Like JetStream's duplicate window: the same id stored twice is one event.
    if (this.#recentIds.has(event.id)) return;
    if (this.#events.length >= this.#maxEvents) throw new EventQueueFull(this.#maxEvents);
    this.#recentIds.set(event.id, now);
    this.#events.push({ event, order: ++this.#order, deliveries: 0, holder: undefined, ackDeadline: 0, notBefore: 0 });
    this.stats.eventsPublished++;
    for (const w of this.#eventWatchers) this.#call(w, event);
    this.#dispatch();
  }

  async watchEvents(handler: (event: EventEnvelope) => void): Promise<Unsubscribe> {
    if (this.closed) throw new BusClosed('watchEvents');
    this.#eventWatchers.add(handler);
    return () => void this.#eventWatchers.delete(handler);
  }

  async consumeEvents(durable: string, handler: (pending: PendingBusEvent) => void): Promise<Unsubscribe> {
    const consumer: Consumer = { durable, handler };
    this.#consumers.push(consumer);
    this.#dispatch();
    return () => {
      const i = this.#consumers.indexOf(consumer);
      if (i < 0) return;
      this.#consumers.splice(i, 1);
      // What it held and did not acknowledge goes to the next consumer at once (JetStream waits
      // for the ack deadline; sooner is within the contract and keeps embedded mode snappy).
      for (const e of this.#events) if (e.holder === consumer) e.holder = undefined;
      this.#dispatch();
    };
  }

  #dispatch(): void {
    if (this.closed || this.#consumers.length === 0) return;
    const now = this.#now();
    let nextWake = Infinity;
    for (const stored of [...this.#events]) {
      if (stored.holder && stored.ackDeadline > now) {
        nextWake = Math.min(nextWake, stored.ackDeadline);
        continue;
      }
      if (stored.notBefore > now) {
        nextWake = Math.min(nextWake, stored.notBefore);
        continue;
      }
      const consumer = this.#consumers[this.#nextConsumer++ % this.#consumers.length]!;
      stored.holder = consumer;
      stored.ackDeadline = now + this.#ackWaitMs;
      stored.deliveries++;
      if (stored.deliveries > 1) this.stats.eventsRedelivered++;
      nextWake = Math.min(nextWake, stored.ackDeadline);
      const delivery = stored.deliveries;
      const current = () => this.#events.includes(stored) && stored.deliveries === delivery;
      this.#call(consumer.handler, {
        event: stored.event,
        order: stored.order,
        deliveryCount: stored.deliveries,
        ack: async () => {
          const i = this.#events.indexOf(stored);
          if (i >= 0) this.#events.splice(i, 1);
        },
        retry: (delayMs: number) => {
          if (!current()) return;
          stored.holder = undefined;
          stored.notBefore = this.#now() + Math.max(0, delayMs);
          this.#schedule(stored.notBefore);
        },
        keepAlive: () => {
          if (current()) stored.ackDeadline = this.#now() + this.#ackWaitMs;
        },
        earlierElsewhere: async () =>
          this.#events.some((e) => e.order < stored.order && e.event.type === stored.event.type && e.event.streamKey === stored.event.streamKey && e.holder !== consumer),
      });
    }
    this.#schedule(nextWake);
  }

  #schedule(at: number): void {
    if (at === Infinity || this.closed) return;
    if (this.#wake && at >= this.#wakeAt) return;
    clearTimeout(this.#wake);
    this.#wakeAt = at;
    this.#wake = setTimeout(() => {
      this.#wake = undefined;
      this.#wakeAt = Infinity;
      this.#dispatch();
    }, Math.max(0, at - this.#now())).unref();
  }

  async publishDeadLetter(event: EventEnvelope, reason: string): Promise<void> {
    this.deadLetters.push({ event, reason });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.#wake);
    this.#eventWatchers.clear();
    this.#consumers.length = 0;
  }
}
