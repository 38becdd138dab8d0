/**
 * The bus on NATS (nats.js v3, server ≥ 2.9), composed of one part per interface, as nats.js v3
 * splits its JetStream client (`jsclient`, `consumer`, `jsmstream_api`):
 *
 *   nats-connection.ts        the connection (reconnect backoff, unsent-bytes probe)
 *   nats-frame-publisher.ts   FrameBus.publishFrame/pressure: core publish, outbox, reconnect
 *                             queue, and the replay window this pod serves (nats-frame-replay.ts)
 *   nats-frame-subscriber.ts  FrameBus.subscribeFrames: reassembly, replay joined to live
 *   nats-event-queue.ts       EventBus: JetStream events, durable consumers, dead letters
 *   nats-talk-viewers.ts      TalkBus and ViewerBus
 *
 * Media is core NATS only: no JetStream stream captures `<root>.media.>` (one stream leader would
 * store every frame of the cluster). A late subscriber gets the recent window from the pod that
 * publishes the stream, over `<root>.replay.<kind>.<sim>.<channel>`.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { BusStats } from './bus-stats.js';
import type { EventEnvelope } from './event-envelope.js';
import type { FrameEnvelope } from './frame-envelope.js';
import type {
  BusPressure, BusStatus, FrameFilter, MediaBus, PendingBusEvent, SubscribeFramesOptions, TalkFilter, Unsubscribe, ViewerFilter,
} from './media-bus.js';
import { NatsBusContext, type UnreadableListener } from './nats-bus-context.js';
import { openNatsConnection } from './nats-connection.js';
import { NatsEventQueue } from './nats-event-queue.js';
import { NatsFramePublisher, OUTBOX_FLUSH_BYTES } from './nats-frame-publisher.js';
import type { FrameReplayResponder } from './nats-frame-replay.js';
import { NatsFrameSubscriber } from './nats-frame-subscriber.js';
import { NatsTalkViewers } from './nats-talk-viewers.js';
import { Subjects } from './subjects.js';
import type { TalkAudio } from './talk-envelope.js';
import type { ViewerNotice } from './viewer-notice.js';

export { OUTBOX_FLUSH_BYTES, PRESSURE_HARD_BYTES, PRESSURE_SOFT_BYTES, REPLAY_KEEP_MS, REPLAY_POD_BYTES, REPLAY_STREAM_BYTES } from './nats-frame-publisher.js';
export { REPLAY_TIMEOUT_MS } from './nats-frame-subscriber.js';

export interface NatsMediaBusOptions {
  /** One server URL or several (a cluster). */
  readonly url: string | readonly string[];
  /** Subject root (default `jt1078`); stream names derive from it (`JT1078_EVENTS`, `JT1078_DEADLETTER`). */
  readonly root?: string;
  /** Time the replay window of each published stream covers, from a segment mark (default REPLAY_KEEP_MS). */
  readonly windowMs?: number;
  /** Bytes one stream's replay window may hold (default REPLAY_STREAM_BYTES). */
  readonly windowMaxBytes?: number;
  /** Bytes all replay windows of this pod may hold (default REPLAY_POD_BYTES). */
  readonly windowPodMaxBytes?: number;
  /** A replay request the owner has not finished answering in this long is given up; live goes on (default REPLAY_TIMEOUT_MS). */
  readonly replayTimeoutMs?: number;
  /** JetStream replicas for the streams (default 1; 3 on a clustered NATS keeps events through a node loss). */
  readonly replicas?: number;
  /** Connection name, seen in the server's monitoring (the pod name). */
  readonly name?: string;
  /** Events are redelivered when not acknowledged (or kept alive) within this (default 30 s). */
  readonly eventAckWaitMs?: number;
  /** Frame bytes queued while disconnected, sent on reconnect (default 8 MiB: ~4 s of a 16 Mbit/s camera); beyond, frames are dropped and counted. */
  readonly reconnectBufferBytes?: number;
  /** An incomplete chunked frame is given up after this long (default 5 s). */
  readonly reassemblyTimeoutMs?: number;
  /** Unsent bytes above which pressure() is soft: only key frames start a GOP (default PRESSURE_SOFT_BYTES). */
  readonly pressureSoftBytes?: number;
  /** Unsent bytes above which pressure() is hard and publishFrame drops, counted (default PRESSURE_HARD_BYTES). */
  readonly pressureHardBytes?: number;
  readonly onStatus?: (status: BusStatus, detail?: string) => void;
  /**
   * Told of each received message dropped because it could not be read (also counted in
   * `stats.dropped`); one bad publisher can send thousands a second, so log through an ErrorDigest.
   */
  readonly onUnreadable?: UnreadableListener;
}

/** How long close() waits for published frames to be flushed before closing anyway. */
const CLOSE_FLUSH_TIMEOUT_MS = 2000;

export class NatsMediaBus implements MediaBus {
  readonly #ctx: NatsBusContext;
  readonly #publisher: NatsFramePublisher;
  readonly #subscriber: NatsFrameSubscriber;
  readonly #events: NatsEventQueue;
  readonly #talk: NatsTalkViewers;
  readonly #listeners = new Set<(status: BusStatus, detail?: string) => void>();

  private constructor(ctx: NatsBusContext, events: NatsEventQueue, opts: NatsMediaBusOptions) {
    this.#ctx = ctx;
    this.#publisher = new NatsFramePublisher(ctx, opts);
    this.#subscriber = new NatsFrameSubscriber(ctx, opts);
    this.#events = events;
    this.#talk = new NatsTalkViewers(ctx);
    if (opts.onStatus) this.#listeners.add(opts.onStatus);
  }

  static async connect(opts: NatsMediaBusOptions): Promise<NatsMediaBus> {
    const { nc, connectedAgain } = await openNatsConnection({ url: opts.url, ...(opts.name ? { name: opts.name } : {}), pendingLimit: OUTBOX_FLUSH_BYTES });
    let bus: NatsMediaBus;
    try {
      const ctx = new NatsBusContext(nc, new Subjects(opts.root ?? 'jt1078'), opts.onUnreadable);
      const events = new NatsEventQueue(ctx, jetstream(nc), await jetstreamManager(nc), opts);
      await events.ensureStreams();
      bus = new NatsMediaBus(ctx, events, opts);
    } catch (err) {
      await nc.close();
      throw err;
    }
    void bus.#watchStatus(connectedAgain);
    bus.#emit('connected', nc.getServer());
    return bus;
  }

  // ---- what tests, benches and metrics read

  get nc(): NatsConnection {
    return this.#ctx.nc;
  }

  get stats(): BusStats {
    return this.#ctx.stats;
  }

  get subjects(): Subjects {
    return this.#ctx.subjects;
  }

  get streams(): { readonly events: string; readonly deadLetter: string } {
    return this.#events.streams;
  }

  /** The recent window of the streams this pod publishes, answering replay requests. */
  get replay(): FrameReplayResponder {
    return this.#publisher.replay;
  }

  /** Failed attempts to restore the streams since the last reconnect (0 when they are in place). */
  get streamErrors(): number {
    return this.#events.streamErrors;
  }

  get maxPayload(): number {
    return this.#publisher.maxPayload;
  }

  /** Bytes published and not yet written to the socket: the outbox, nats.js' buffer, the socket's. */
  get unsentBytes(): number {
    return this.#publisher.unsentBytes;
  }

  // ---- connection

  onStatus(listener: (status: BusStatus, detail?: string) => void): Unsubscribe {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  #emit(status: BusStatus, detail?: string): void {
    for (const l of this.#listeners) {
      try {
        l(status, detail);
      } catch {
        // A listener's bug must not stop the status loop.
      }
    }
  }

  async #watchStatus(onReconnected: () => void): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') {
        this.#publisher.disconnected();
        this.#emit('disconnected', s.server);
      } else if (s.type === 'reconnect') {
        this.#publisher.reconnected();
        onReconnected();
        this.#emit('reconnected', s.server);
        // A restarted server may have lost the streams with their definitions: put them back.
        void this.#events.restoreStreams();
      }
    }
    this.#publisher.closed();
    this.#emit('closed');
  }

  // ---- frames

  publishFrame(frame: FrameEnvelope): void {
    this.#publisher.publishFrame(frame);
  }

  pressure(): BusPressure {
    return this.#publisher.pressure();
  }

  subscribeFrames(filter: FrameFilter, handler: (frame: FrameEnvelope) => void, opts?: SubscribeFramesOptions): Promise<Unsubscribe> {
    return this.#subscriber.subscribeFrames(filter, handler, opts);
  }

  // ---- talk and viewers

  publishTalk(audio: TalkAudio): void {
    this.#talk.publishTalk(audio);
  }

  subscribeTalk(filter: TalkFilter, handler: (audio: TalkAudio) => void): Promise<Unsubscribe> {
    return this.#talk.subscribeTalk(filter, handler);
  }

  publishViewers(notice: ViewerNotice): void {
    this.#talk.publishViewers(notice);
  }

  subscribeViewers(filter: ViewerFilter, handler: (notice: ViewerNotice) => void): Promise<Unsubscribe> {
    return this.#talk.subscribeViewers(filter, handler);
  }

  // ---- events

  publishEvent(event: EventEnvelope): Promise<void> {
    return this.#events.publishEvent(event);
  }

  consumeEvents(durable: string, handler: (pending: PendingBusEvent) => void): Promise<Unsubscribe> {
    return this.#events.consumeEvents(durable, handler);
  }

  watchEvents(handler: (event: EventEnvelope) => void): Promise<Unsubscribe> {
    return this.#events.watchEvents(handler);
  }

  publishDeadLetter(event: EventEnvelope, reason: string): Promise<void> {
    return this.#events.publishDeadLetter(event, reason);
  }

  // ---- lifecycle

  /** Removes this root's streams (tests on a shared server clean up after themselves). */
  deleteStreams(): Promise<void> {
    return this.#events.deleteStreams();
  }

  async drain(): Promise<void> {
    if (this.nc.isClosed() || this.nc.isDraining()) return this.nc.closed().then(() => undefined);
    this.#subscriber.close();
    this.#publisher.finish();
    await this.nc.drain();
  }

  async close(): Promise<void> {
    if (this.nc.isClosed() || this.nc.isDraining()) return this.nc.closed().then(() => undefined);
    this.#subscriber.close();
    this.#ctx.stopAll();
    this.#publisher.finish();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.nc.flush().catch(() => undefined),
      new Promise((r) => (timer = setTimeout(r, CLOSE_FLUSH_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    await this.nc.close();
  }
}
