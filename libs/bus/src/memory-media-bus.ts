/**
 * The in-process bus for `jt1078 start` without NATS: the same contract as NatsMediaBus — a
 * recent window per stream from a segment mark (the same ReplayWindows the NATS publisher keeps),
 * events held until acknowledged, retried after a delay and handed on when a consumer goes away
 * without acknowledging (memory-event-queue.ts) — with nothing leaving the process. Frames are delivered synchronously
 * and whole (no chunking: there is no max_payload in a process), so a window replay has no seam
 * to join: the window is handed over and the subscription added in one turn of the event loop.
 */
import { DropReason, countDrop, newBusStats, type BusStats } from './bus-stats.js';
import type { EventEnvelope } from './event-envelope.js';
import { frameHeaders, type FrameEnvelope } from './frame-envelope.js';
import { WindowNeedsOneStream } from './media-bus.js';
import { ReplayWindows } from './replay-window.js';
import { MemoryEventQueue } from './memory-event-queue.js';
import type {
  BusPressure, BusStatus, FrameFilter, MediaBus, PendingBusEvent, SubscribeFramesOptions, TalkFilter, Unsubscribe, ViewerFilter,
} from './media-bus.js';
import { checkChannel, checkSim, type StreamKind } from './subjects.js';
import { talkHeaders, type TalkAudio } from './talk-envelope.js';
import type { ViewerNotice } from './viewer-notice.js';

export { EventQueueFull } from './memory-event-queue.js';

export interface MemoryMediaBusOptions {
  /** Time a stream's window covers from its first segment mark (default 16 s, as the NATS bus). */
  readonly windowMs?: number;
  /** Bytes kept per stream (default 16 MiB). */
  readonly maxWindowBytes?: number;
  /** Bytes kept for all streams (default 1 GiB). */
  readonly maxPodWindowBytes?: number;
  /** An event handed out and neither acknowledged nor kept alive is handed out again after this long (default 30 s). */
  readonly ackWaitMs?: number;
  /** Events stored and not yet acknowledged (default 100 000); publishEvent rejects beyond it. */
  readonly maxEvents?: number;
  /** A second publish of one event id within this long is the same event (default 120 s, as the NATS events stream). */
  readonly duplicateWindowMs?: number;
  readonly now?: () => number;
}

const matches = (f: FrameFilter, e: FrameEnvelope) =>
  f.streamKind === e.streamKind && (f.sim === undefined || f.sim === e.sim) && (f.channel === undefined || f.channel === e.channel);

/** How often ended streams' windows are looked at and freed. */
const SWEEP_INTERVAL_MS = 5000;

const windowKey = (kind: StreamKind, sim: string, channel: number) => `${kind}/${sim}/${channel}`;

export class MemoryMediaBus implements MediaBus {
  readonly stats: BusStats = newBusStats();
  readonly #windows: ReplayWindows<FrameEnvelope>;
  readonly #frameSubs = new Set<{ readonly filter: FrameFilter; readonly handler: (f: FrameEnvelope) => void }>();
  readonly #talkSubs = new Set<{ readonly filter: TalkFilter; readonly handler: (a: TalkAudio) => void }>();
  readonly #viewerSubs = new Set<{ readonly filter: ViewerFilter; readonly handler: (n: ViewerNotice) => void }>();
  readonly #statusListeners = new Set<(s: BusStatus, detail?: string) => void>();
  readonly #eventQueue: MemoryEventQueue;
  #sweep: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #now: () => number;

  constructor(opts: MemoryMediaBusOptions = {}) {
    this.#now = opts.now ?? Date.now;
    this.#windows = new ReplayWindows({
      keepMs: opts.windowMs ?? 16_000,
      maxStreamBytes: opts.maxWindowBytes ?? 16 * 1024 * 1024,
      maxPodBytes: opts.maxPodWindowBytes ?? 1024 * 1024 * 1024,
      now: this.#now,
    });
    this.#eventQueue = new MemoryEventQueue(this.stats, opts);
  }

  // ---- frames

  publishFrame(frame: FrameEnvelope): void {
    checkSim(frame.sim);
    checkChannel(frame.channel);
    frameHeaders(frame); // the same checks the NATS bus makes: integers, no line breaks
    if (this.#closed) {
      countDrop(this.stats, DropReason.closed);
      return;
    }
    this.#windows.record(windowKey(frame.streamKind, frame.sim, frame.channel), { value: frame, bytes: frame.data.length, mark: frame.segment !== undefined });
    this.#sweep ??= setInterval(() => this.#windows.sweep(), SWEEP_INTERVAL_MS).unref();
    this.stats.framesPublished++;
    this.stats.bytesPublished += frame.data.length;
    for (const s of this.#frameSubs) if (matches(s.filter, frame)) this.#call(s.handler, frame);
  }

  #call<T>(handler: (v: T) => void, v: T): void {
    try {
      handler(v);
    } catch {
      countDrop(this.stats, DropReason.handlerError);
    }
  }

  pressure(): BusPressure {
    return 0;
  }

  async subscribeFrames(filter: FrameFilter, handler: (frame: FrameEnvelope) => void, opts: SubscribeFramesOptions = {}): Promise<Unsubscribe> {
    if (filter.sim !== undefined) checkSim(filter.sim);
    if (filter.channel !== undefined) checkChannel(filter.channel);
    if (opts.fromWindow) {
      if (filter.sim === undefined || filter.channel === undefined) throw new WindowNeedsOneStream();
      for (const frame of this.#windows.read(windowKey(filter.streamKind, filter.sim, filter.channel))) this.#call(handler, frame);
    }
    const sub = { filter, handler };
    this.#frameSubs.add(sub);
    return () => void this.#frameSubs.delete(sub);
  }

  /** Frames retained for one stream, oldest first. */
  windowOf(kind: StreamKind, sim: string, channel: number): readonly FrameEnvelope[] {
    return this.#windows.read(windowKey(kind, sim, channel));
  }

  // ---- talk and viewers

  publishTalk(audio: TalkAudio): void {
    checkSim(audio.sim);
    checkChannel(audio.channel);
    talkHeaders(audio);
    if (this.#closed) return;
    this.stats.talkPublished++;
    for (const s of this.#talkSubs) {
      if ((s.filter.sim === undefined || s.filter.sim === audio.sim) && (s.filter.channel === undefined || s.filter.channel === audio.channel)) this.#call(s.handler, audio);
    }
  }

  async subscribeTalk(filter: TalkFilter, handler: (audio: TalkAudio) => void): Promise<Unsubscribe> {
    if (filter.sim !== undefined) checkSim(filter.sim);
    if (filter.channel !== undefined) checkChannel(filter.channel);
    const sub = { filter, handler };
    this.#talkSubs.add(sub);
    return () => void this.#talkSubs.delete(sub);
  }

  publishViewers(notice: ViewerNotice): void {
    checkSim(notice.sim);
    checkChannel(notice.channel);
    if (this.#closed) return;
    this.stats.viewerNoticesPublished++;
    for (const s of this.#viewerSubs) {
      const f = s.filter;
      if ((f.streamKind === undefined || f.streamKind === notice.streamKind) && (f.sim === undefined || f.sim === notice.sim) && (f.channel === undefined || f.channel === notice.channel)) {
        this.#call(s.handler, notice);
      }
    }
  }

  async subscribeViewers(filter: ViewerFilter, handler: (notice: ViewerNotice) => void): Promise<Unsubscribe> {
    if (filter.sim !== undefined) checkSim(filter.sim);
    if (filter.channel !== undefined) checkChannel(filter.channel);
    const sub = { filter, handler };
    this.#viewerSubs.add(sub);
    return () => void this.#viewerSubs.delete(sub);
  }

  // ---- events (memory-event-queue.ts)

  get deadLetters(): Array<{ event: EventEnvelope; reason: string }> {
    return this.#eventQueue.deadLetters;
  }

  publishEvent(event: EventEnvelope): Promise<void> {
    return this.#eventQueue.publishEvent(event);
  }

  watchEvents(handler: (event: EventEnvelope) => void): Promise<Unsubscribe> {
    return this.#eventQueue.watchEvents(handler);
  }

  consumeEvents(durable: string, handler: (pending: PendingBusEvent) => void): Promise<Unsubscribe> {
    return this.#eventQueue.consumeEvents(durable, handler);
  }

  publishDeadLetter(event: EventEnvelope, reason: string): Promise<void> {
    return this.#eventQueue.publishDeadLetter(event, reason);
  }

  // ---- lifecycle

  onStatus(listener: (status: BusStatus, detail?: string) => void): Unsubscribe {
    this.#statusListeners.add(listener);
    return () => void this.#statusListeners.delete(listener);
  }

  async drain(): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweep);
    this.#windows.clear();
    this.#eventQueue.close();
    this.#frameSubs.clear();
    this.#talkSubs.clear();
    this.#viewerSubs.clear();
    for (const l of this.#statusListeners) l('closed');
  }
}
