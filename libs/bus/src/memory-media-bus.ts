/**
 * The in-process bus for `jt1078 start` without NATS: the same contract as NatsMediaBus — a
 * retained window per stream, events held until acknowledged and redelivered when a consumer
 * goes away without acknowledging — with nothing leaving the process.
 */
import type { EventEnvelope } from './event-envelope.js';
import type { FrameEnvelope } from './frame-envelope.js';
import type { BusPressure, BusStats, FrameFilter, MediaBus, PendingBusEvent, Unsubscribe } from './media-bus.js';
import { checkChannel, checkSim, type StreamKind } from './subjects.js';

export interface MemoryMediaBusOptions {
  /** How long frames stay in a stream's window (ms of stream time). */
  readonly windowMs?: number;
  /** Cap on frames kept per stream, whatever their timestamps say. */
  readonly maxWindowFrames?: number;
  /** An unacknowledged event is handed out again after this long (a consumer that hangs). */
  readonly ackWaitMs?: number;
}

interface Subscriber {
  readonly filter: FrameFilter;
  readonly handler: (frame: FrameEnvelope) => void;
}

interface StoredEvent {
  readonly event: EventEnvelope;
  readonly order: number;
  deliveries: number;
  /** Held by a consumer until this time (ms); 0 = free. */
  heldUntil: number;
}

const matches = (f: FrameFilter, e: FrameEnvelope) =>
  f.streamKind === e.streamKind && (f.sim === undefined || f.sim === e.sim) && (f.channel === undefined || f.channel === e.channel);

export class MemoryMediaBus implements MediaBus {
  readonly stats: BusStats = { framesPublished: 0, bytesPublished: 0, chunkedFrames: 0, framesDropped: 0, reassemblyTimeouts: 0, eventsPublished: 0 };
  readonly #windows = new Map<string, FrameEnvelope[]>();
  readonly #subscribers = new Set<Subscriber>();
  readonly #events: StoredEvent[] = [];
  readonly #seenEventIds = new Set<string>();
  readonly #consumers = new Set<{ durable: string; handler: (p: PendingBusEvent) => void }>();
  readonly deadLetters: Array<{ event: EventEnvelope; reason: string }> = [];
  #order = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #windowMs: number;
  readonly #maxFrames: number;
  readonly #ackWaitMs: number;

  constructor(opts: MemoryMediaBusOptions = {}) {
    this.#windowMs = opts.windowMs ?? 30_000;
    this.#maxFrames = opts.maxWindowFrames ?? 3000;
    this.#ackWaitMs = opts.ackWaitMs ?? 30_000;
  }

  publishFrame(frame: FrameEnvelope): void {
    checkSim(frame.sim);
    checkChannel(frame.channel);
    const key = `${frame.streamKind}/${frame.sim}/${frame.channel}`;
    let window = this.#windows.get(key);
    if (!window) {
      window = [];
      this.#windows.set(key, window);
    }
    window.push(frame);
    while (window.length > this.#maxFrames || (window.length > 1 && frame.timestamp - window[0]!.timestamp > this.#windowMs && window[0]!.connectionId === frame.connectionId)) {
      window.shift();
    }
    this.stats.framesPublished++;
    this.stats.bytesPublished += frame.data.length;
    for (const s of this.#subscribers) if (matches(s.filter, frame)) s.handler(frame);
  }

  pressure(): BusPressure {
    return 0;
  }

  async subscribeFrames(filter: FrameFilter, handler: (frame: FrameEnvelope) => void, opts: { fromWindow?: boolean } = {}): Promise<Unsubscribe> {
    if (filter.sim !== undefined) checkSim(filter.sim);
    if (filter.channel !== undefined) checkChannel(filter.channel);
    if (opts.fromWindow) {
      for (const window of this.#windows.values()) {
        const first = window[0];
        if (first && matches(filter, first)) for (const f of [...window]) handler(f);
      }
    }
    const sub = { filter, handler };
    this.#subscribers.add(sub);
    return () => this.#subscribers.delete(sub);
  }

  /** Frames retained for one stream (the packager's warm-up reads them). */
  windowOf(kind: StreamKind, sim: string, channel: number): readonly FrameEnvelope[] {
    return this.#windows.get(`${kind}/${sim}/${channel}`) ?? [];
  }

  async publishEvent(event: EventEnvelope): Promise<void> {
    // Like JetStream's duplicate window: the same id stored twice is one event.
    if (this.#seenEventIds.has(event.id)) return;
    this.#seenEventIds.add(event.id);
    this.#events.push({ event, order: ++this.#order, deliveries: 0, heldUntil: 0 });
    this.stats.eventsPublished++;
    this.#dispatch();
  }

  async consumeEvents(durable: string, handler: (pending: PendingBusEvent) => void): Promise<Unsubscribe> {
    const consumer = { durable, handler };
    this.#consumers.add(consumer);
    this.#timer ??= setInterval(() => this.#dispatch(), Math.min(1000, this.#ackWaitMs)).unref();
    this.#dispatch();
    return () => {
      this.#consumers.delete(consumer);
      // What it held and did not acknowledge goes to the next consumer.
      for (const e of this.#events) e.heldUntil = 0;
      this.#dispatch();
    };
  }

  #dispatch(): void {
    const consumer = [...this.#consumers][0];
    if (!consumer) return;
    const now = Date.now();
    for (const stored of this.#events) {
      if (stored.heldUntil > now) continue;
      stored.heldUntil = now + this.#ackWaitMs;
      stored.deliveries++;
      consumer.handler({
        event: stored.event,
        order: stored.order,
        deliveryCount: stored.deliveries,
        ack: async () => {
          const i = this.#events.indexOf(stored);
          if (i >= 0) this.#events.splice(i, 1);
        },
        keepAlive: () => {
          stored.heldUntil = Date.now() + this.#ackWaitMs;
        },
        // One consumer at a time in one process: everything earlier was handed to it too.
        earlierElsewhere: async () => false,
      });
    }
  }

  async publishDeadLetter(event: EventEnvelope, reason: string): Promise<void> {
    this.deadLetters.push({ event, reason });
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#subscribers.clear();
    this.#consumers.clear();
  }
}
