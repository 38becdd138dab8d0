/**
 * Events are never lost to a NATS outage: the outbox takes an event at once and keeps it until
 * JetStream acknowledges it, retrying with backoff for as long as it takes. Events of one
 * stream key go out in the order they were taken (a leave never overtakes its join); different
 * keys go out side by side. A retry re-sends the same `Nats-Msg-Id`, so an ack lost on the way
 * back cannot store an event twice (within JetStream's duplicate window).
 *
 * Bounded: at most `maxEvents` are held; one more is refused with OutboxFull and counted.
 * drain() (SIGTERM) keeps sending until the outbox is empty or its deadline passes; what is
 * left then is counted as lost and logged, never dropped silently.
 */
import type { EventEnvelope } from './event-envelope.js';
import type { EventBus } from './media-bus.js';

export class OutboxFull extends Error {
  override readonly name = 'OutboxFull';
  readonly kind = 'outbox-full';
  constructor(readonly limit: number, readonly event: EventEnvelope) {
    super(`event outbox full (${limit} events waiting for NATS): ${event.type} ${event.action} of ${event.streamKey} refused`);
  }
}

export interface EventOutboxOptions {
  /** Where events are stored: the bus's publishEvent (resolves on the JetStream ack). */
  readonly bus: Pick<EventBus, 'publishEvent'>;
  /** cluster.nats.outbox_max_events. */
  readonly maxEvents: number;
  /** First retry delay; doubles per failure of the same event up to retryMaxMs. */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** The first failure of an outage, and the recovery after it: one line each, not one per retry. */
  readonly onOutage?: (down: boolean, err?: unknown) => void;
  /** An event refused (full) or given up at shutdown: it is counted, and the caller logs it. */
  readonly onLost?: (event: EventEnvelope, reason: 'outbox-full' | 'shutdown') => void;
}

export interface OutboxStats {
  /** Events taken and not yet acknowledged. */
  pending: number;
  stored: number;
  /** Publish attempts that failed and were retried. */
  retries: number;
  lost: { 'outbox-full': number; shutdown: number };
}

interface Entry {
  readonly event: EventEnvelope;
  readonly stored: () => void;
}

const DEFAULT_RETRY_MIN_MS = 200;
const DEFAULT_RETRY_MAX_MS = 2000;

export class EventOutbox {
  readonly stats: OutboxStats = { pending: 0, stored: 0, retries: 0, lost: { 'outbox-full': 0, shutdown: 0 } };
  /** FIFO per stream key; a key is present while it has events to send (its sender is running). */
  readonly #queues = new Map<string, Entry[]>();
  readonly #idle = new Set<() => void>();
  #failing = false;
  #closed = false;
  /** Wakes senders sleeping between retries (drain: try again now). */
  readonly #sleepers = new Set<() => void>();

  constructor(private readonly opts: EventOutboxOptions) {}

  /**
   * Takes the event; resolves at once (the outbox now owns it), rejects with OutboxFull when
   * `maxEvents` are already waiting. `stored` resolves once JetStream has it.
   */
  publishEvent(event: EventEnvelope): Promise<void> {
    const r = this.take(event);
    return r.accepted ? Promise.resolve() : Promise.reject(r.error);
  }

  take(event: EventEnvelope): { accepted: true; stored: Promise<void> } | { accepted: false; error: OutboxFull } {
    if (this.#closed || this.stats.pending >= this.opts.maxEvents) {
      const reason = this.#closed ? 'shutdown' : 'outbox-full';
      this.stats.lost[reason]++;
      this.opts.onLost?.(event, reason);
      return { accepted: false, error: new OutboxFull(this.opts.maxEvents, event) };
    }
    let stored!: () => void;
    const done = new Promise<void>((resolve) => (stored = resolve));
    this.stats.pending++;
    const queue = this.#queues.get(event.streamKey);
    if (queue) {
      queue.push({ event, stored });
    } else {
      this.#queues.set(event.streamKey, [{ event, stored }]);
      void this.#send(event.streamKey);
    }
    return { accepted: true, stored: done };
  }

  get pending(): number {
    return this.stats.pending;
  }

  /** Sends every event of `key` in order, retrying each until it is stored. Never rejects: a failed publish is retried, not thrown. */
  async #send(key: string): Promise<void> {
    const queue = this.#queues.get(key)!;
    let delay = this.opts.retryMinMs ?? DEFAULT_RETRY_MIN_MS;
    while (queue.length > 0 && !this.#closed) {
      const entry = queue[0]!;
      try {
        await this.opts.bus.publishEvent(entry.event);
      } catch (err) {
        this.stats.retries++;
        if (!this.#failing) {
          this.#failing = true;
          this.opts.onOutage?.(true, err);
        }
        await this.#sleep(delay);
        delay = Math.min(delay * 2, this.opts.retryMaxMs ?? DEFAULT_RETRY_MAX_MS);
        continue;
      }
      if (this.#failing) {
        this.#failing = false;
        this.opts.onOutage?.(false);
      }
      // drain() gave up on this key meanwhile: it has counted the event as lost already.
      if (queue[0] !== entry) return;
      delay = this.opts.retryMinMs ?? DEFAULT_RETRY_MIN_MS;
      queue.shift();
      this.stats.pending--;
      this.stats.stored++;
      entry.stored();
    }
    if (queue.length === 0) this.#queues.delete(key);
    if (this.stats.pending === 0) for (const wake of this.#idle) wake();
  }

  /** NATS is back: every sender waiting between retries tries again now. */
  retryNow(): void {
    for (const wake of [...this.#sleepers]) wake();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#sleepers.add(wake);
    });
  }

  /**
   * SIGTERM: keeps sending until every event is stored or `timeoutMs` has passed; then stops,
   * and counts what is left as lost (returned, so the caller can log it).
   */
  async drain(timeoutMs: number): Promise<{ stored: number; lost: number }> {
    const before = this.stats.stored;
    if (this.stats.pending > 0) {
      // Whoever is sleeping between retries tries again now.
      this.retryNow();
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.#idle.delete(done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        this.#idle.add(done);
      });
    }
    this.#closed = true;
    this.retryNow();
    let lost = 0;
    for (const queue of this.#queues.values()) {
      for (const entry of queue) {
        lost++;
        this.stats.lost.shutdown++;
        this.opts.onLost?.(entry.event, 'shutdown');
      }
      queue.length = 0;
    }
    this.stats.pending -= lost;
    this.#queues.clear();
    return { stored: this.stats.stored - before, lost };
  }
}
