/**
 * The bus on NATS (nats.js v3, server ≥ 2.9).
 *
 * Frames go out with core publish — no per-frame ack, so a slow JetStream never stalls a
 * device's read loop — and the `<ROOT>_MEDIA` stream captures `<root>.media.>` for a short window
 * (max_age, default 30 s, discard old). Memory storage: the window is seconds of video that a
 * late or restarted packager needs, rewritten ~30 times a minute; putting it on disk would buy
 * durability nobody uses at the cost of write amplification. Its duplicate window is short: it
 * only has to cover a publisher's re-send after a reconnect, not the whole window.
 *
 * Events go through JetStream publish with their id as Nats-Msg-Id, awaiting the ack, into
 * `<ROOT>_EVENTS`: work-queue retention on file storage, so each event stays (across a server
 * restart) until a consumer acknowledges it and is removed then — the stream never holds
 * delivered events, and no age limit can drop one that a webhook outage kept waiting.
 * Consumers are durable pull consumers with explicit ack: an event a crashed consumer held is
 * redelivered after ack_wait, and `retry(delay)` is a NAK with that delay.
 *
 * Frames above the server's max_payload (read from the connection, 1 MB by default) travel in
 * chunks (frame-messages.ts) and are put back together by each subscriber (chunk-reassembler.ts).
 *
 * Publishing a frame costs one header string (encoded once, EncodedHeaders) and a place in the
 * outbox: frames published during one turn of the event loop go to nats.js together in a
 * setImmediate, so its socket gets one write per turn (or per OUTBOX_FLUSH_BYTES) instead of one
 * per device read — nats.js flushes in a microtask after every callback that published. The
 * pressure publishers read comes from the bytes the client holds unsent (its outbound buffer and
 * the socket's), against soft and hard limits: a NATS server that reads more slowly than the
 * ingest publishes makes the key-frame gate drop frames instead of the client buffering them
 * without bound.
 *
 * The client reconnects forever, backing off as the outage grows (capped); while disconnected, frames are
 * queued here up to `reconnectBufferBytes` (nats.js v3 itself discards what it buffered when it
 * redials) and counted as dropped beyond that. Frames published in the instant between the
 * socket dying and the client reporting it are lost inside nats.js: every frame handed to it is
 * counted until a PONG confirms the server read it, and those unconfirmed at a disconnect are
 * counted as dropped (unconfirmed-at-disconnect).
 */
import { connect, headers as natsHeaders, nanos, type ConnectionOptions, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import {
  AckPolicy, DeliverPolicy, DiscardPolicy, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType, jetstream, jetstreamManager,
  type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg, type StreamConfig,
} from '@nats-io/jetstream';
import { DropReason, countDrop, newBusStats, type BusStats } from './bus-stats.js';
import { ChunkReassembler, type ReassemblyLoss } from './chunk-reassembler.js';
import { EncodedHeaders } from './encoded-headers.js';
import { decodeEvent, encodeEvent, type EventEnvelope } from './event-envelope.js';
import { EventGaps, gapKey } from './event-gaps.js';
import type { FrameEnvelope, HeaderMap } from './frame-envelope.js';
import { frameMessages, type WireMessage } from './frame-messages.js';
import {
  BusClosed, type BusPressure, type BusStatus, type FrameFilter, type MediaBus, type PendingBusEvent, type SubscribeFramesOptions, type TalkFilter,
  type Unsubscribe, type ViewerFilter,
} from './media-bus.js';
import { Subjects } from './subjects.js';
import { talkFromMessage, talkHeaders, type TalkAudio } from './talk-envelope.js';
import { decodeViewerNotice, encodeViewerNotice, type ViewerNotice } from './viewer-notice.js';
import { WindowSeam } from './window-seam.js';

export interface NatsMediaBusOptions {
  /** One server URL or several (a cluster). */
  readonly url: string | readonly string[];
  /** Subject root (default `jt1078`); stream names derive from it (`JT1078_MEDIA`, `JT1078_EVENTS`, `JT1078_DEADLETTER`). */
  readonly root?: string;
  /** Media window, the media stream's max_age (default 30 s). */
  readonly windowMs?: number;
  /** Cap on the media stream's memory, oldest discarded first (default: none, max_age bounds it). */
  readonly windowMaxBytes?: number;
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
}

/**
 * Reconnect backoff: a quarter of the outage so far, at least 250 ms and at most 5 s (a blip is
 * bridged within a GOP, a long outage does not hammer the server), plus up to 25 % jitter so
 * pods do not reconnect in lock step.
 */
const RECONNECT_BASE_MS = 250;
const RECONNECT_MAX_MS = 5000;
const RECONNECT_BACKOFF_RATIO = 0.25;
const RECONNECT_JITTER = 0.25;
/**
 * Unsent bytes (nats.js' outbound buffer + the socket's) that make pressure soft. The kernel's
 * send buffer (up to 4 MiB here, net.ipv4.tcp_wmem) fills before Node holds a byte, so a backlog
 * in user space means the server has not been reading for a while, not a burst: 1 MiB is 4 ms of
 * output at 2,000 devices × 1 Mbit/s and 40 ms at 200, a GOP or less.
 */
export const PRESSURE_SOFT_BYTES = 1024 * 1024;
/**
 * Unsent bytes that make pressure hard (nothing passes, and publishFrame itself drops for a
 * publisher that ignores pressure): the bound on what the publish path holds, about one second
 * of a 64 Mbit/s pod. Without it nats.js buffers without limit (2.5 GB seen at 2,000 devices).
 */
export const PRESSURE_HARD_BYTES = 8 * 1024 * 1024;
/**
 * The outbox goes to nats.js at the end of the turn, or as soon as it holds this much, so a long
 * turn (thousands of device reads) neither delays its first frames nor holds more than this.
 */
export const OUTBOX_FLUSH_BYTES = 256 * 1024;
/** How long close() waits for published frames to be flushed before closing anyway. */
const CLOSE_FLUSH_TIMEOUT_MS = 2000;
/** A window replay that has not finished in this long is cut short; live delivery goes on. */
const WINDOW_READ_TIMEOUT_MS = 10_000;
/** After the window's end, how long to keep reading when the live side shows frames the window has not stored yet. */
const SEAM_CATCH_UP_MS = 500;
/** Incomplete chunked frames are looked at this often, so a frame whose last piece never comes is counted. */
const REASSEMBLY_SWEEP_MS = 1000;
/** After a reconnect, the streams are re-ensured up to this many times, this far apart (a restarted JetStream may need seconds). */
const STREAM_RESTORE_ATTEMPTS = 30;
const STREAM_RESTORE_RETRY_MS = 1000;
/** Stream reads one order check makes at most (a few ms on a LAN); the next check continues. */
const MAX_EARLIER_READS = 256;
/** The events stream's first position is re-read at most this often for order checks. */
const FIRST_SEQ_CACHE_MS = 250;
/** Events fetched per pull from the durable consumer. */
const EVENT_BATCH = 256;
/** Unacknowledged events one durable consumer may hold at once across all pods. */
const EVENT_MAX_ACK_PENDING = 10_000;
/** A consumer whose message loop ended unexpectedly (consumer deleted, JetStream restarted) is re-attached after this. */
const EVENT_REATTACH_MS = 1000;
/** De-duplication of event ids (a publisher's retry after a timeout lands within it). */
const EVENT_DUPLICATE_WINDOW_MS = 120_000;
/** Dead letters are kept this long for someone to look at. */
const DEAD_LETTER_MAX_AGE_MS = 30 * 24 * 3_600_000;

const LOSS_REASON: Record<ReassemblyLoss, DropReason> = {
  timeout: DropReason.reassemblyTimeout,
  evicted: DropReason.reassemblyEvicted,
  partial: DropReason.partialChunks,
};

/** A frame on its way out: its subject and the messages that carry it. */
interface OutgoingFrame {
  readonly subject: string;
  readonly messages: readonly WireMessage[];
}

/** Payload bytes of a frame (what the reconnect buffer counts). */
function frameBytes(f: OutgoingFrame): number {
  let n = 0;
  for (const m of f.messages) n += m.data.length;
  return n;
}

function headerMap(h: MsgHdrs | undefined): Map<string, string> {
  const m = new Map<string, string>();
  if (h) for (const [k, v] of h) m.set(k, v[0] ?? '');
  return m;
}

function toHeaders(m: ReadonlyMap<string, string>): MsgHdrs {
  const h = natsHeaders();
  for (const [k, v] of m) h.set(k, v);
  return h;
}

/**
 * Bytes published but not yet taken by the kernel. nats.js v3 keeps them in two places and has no
 * public accessor for either: its ProtocolHandler's `outbound` DataBuffer (what publish appended
 * since the last flush) and the NodeTransport's socket (`writableLength`: what the socket could
 * not write yet, because the kernel's send buffer is full). The transport is replaced on every
 * reconnect, so it is looked up each time. Checked once at connect: a nats.js whose internals
 * moved fails loudly here (and in the bus tests) rather than leaving the bus without pressure.
 */
interface NatsInternals {
  readonly protocol?: {
    readonly outbound?: { size(): number };
    readonly transport?: { readonly socket?: { readonly writableLength: number } };
  };
}

function unsentBytesProbe(nc: NatsConnection): () => number {
  const protocol = (nc as unknown as NatsInternals).protocol;
  if (typeof protocol?.outbound?.size !== 'function' || typeof protocol.transport?.socket?.writableLength !== 'number') {
    throw new Error('nats.js internals changed: NatsConnection.protocol.outbound.size() / protocol.transport.socket.writableLength not found; the bus cannot measure its unsent bytes (see nats-media-bus.ts, unsentBytesProbe)');
  }
  const outbound = protocol.outbound;
  return () => outbound.size() + (protocol.transport?.socket?.writableLength ?? 0);
}

function isApiError(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}

export class NatsMediaBus implements MediaBus {
  readonly stats: BusStats = newBusStats();
  readonly subjects: Subjects;
  readonly streams: { readonly media: string; readonly events: string; readonly deadLetter: string };
  readonly #listeners = new Set<(status: BusStatus, detail?: string) => void>();
  readonly #reassemblers = new Set<ChunkReassembler>();
  readonly #sweep: NodeJS.Timeout;
  readonly #stops = new Set<() => void>();
  #connected = true;
  #firstSeqCheckedAt = 0;
  #bufferedWhileDown = 0;
  #queuedWhileDown: OutgoingFrame[] = [];
  /** Frames published this turn, handed to nats.js together (see the file comment). */
  #outbox: OutgoingFrame[] = [];
  #outboxBytes = 0;
  #outboxScheduled = false;
  /** Frames handed to nats.js since the server last confirmed reading them (a PONG); lost if the connection drops now. */
  #unconfirmed = 0;
  #confirming = false;
  /** Bumped at each disconnect: a PONG from before it confirms nothing after it. */
  #confirmEpoch = 0;
  readonly #unsentBytes: () => number;
  readonly #softBytes: number;
  readonly #hardBytes: number;
  /** Failed attempts to restore the streams since the last reconnect (0 when they are in place). */
  streamErrors = 0;
  readonly #reconnectBufferBytes: number;
  readonly #reassemblyTimeoutMs: number;

  private constructor(
    readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    root: string,
    private readonly opts: NatsMediaBusOptions,
  ) {
    this.subjects = new Subjects(root);
    const base = root.replace(/[^A-Za-z0-9]/g, '_').toUpperCase();
    this.streams = { media: `${base}_MEDIA`, events: `${base}_EVENTS`, deadLetter: `${base}_DEADLETTER` };
    this.#reconnectBufferBytes = opts.reconnectBufferBytes ?? 8 * 1024 * 1024;
    this.#reassemblyTimeoutMs = opts.reassemblyTimeoutMs ?? 5000;
    this.#softBytes = opts.pressureSoftBytes ?? PRESSURE_SOFT_BYTES;
    this.#hardBytes = opts.pressureHardBytes ?? PRESSURE_HARD_BYTES;
    if (!(this.#softBytes > 0 && this.#hardBytes >= this.#softBytes)) throw new RangeError(`pressure limits: need 0 < soft (${this.#softBytes}) <= hard (${this.#hardBytes})`);
    this.#unsentBytes = unsentBytesProbe(nc);
    this.#sweep = setInterval(() => {
      for (const r of this.#reassemblers) r.sweep();
    }, Math.min(REASSEMBLY_SWEEP_MS, this.#reassemblyTimeoutMs / 2)).unref();
    if (opts.onStatus) this.#listeners.add(opts.onStatus);
  }

  static async connect(opts: NatsMediaBusOptions): Promise<NatsMediaBus> {
    // nats.js asks for the delay on every turn of its dial loop (also while it is only waiting),
    // so the backoff follows how long the connection has been down, not a count of calls.
    let downSince: number | undefined;
    const options: ConnectionOptions & { pendingLimit: number } = {
      servers: typeof opts.url === 'string' ? opts.url : [...opts.url],
      name: opts.name ?? 'jt1078',
      maxReconnectAttempts: -1,
      waitOnFirstConnect: false,
      reconnectDelayHandler: () => {
        downSince ??= Date.now();
        const d = Math.min(RECONNECT_MAX_MS, Math.max(RECONNECT_BASE_MS, (Date.now() - downSince) * RECONNECT_BACKOFF_RATIO));
        return d + Math.random() * d * RECONNECT_JITTER;
      },
      // nats.js writes its buffer to the socket once it holds this much (32 KB by default; an
      // option its ProtocolHandler reads but does not declare): one write per outbox flush.
      pendingLimit: OUTBOX_FLUSH_BYTES,
    };
    const nc = await connect(options);
    let bus: NatsMediaBus;
    try {
      bus = new NatsMediaBus(nc, jetstream(nc), await jetstreamManager(nc), opts.root ?? 'jt1078', opts);
      await bus.#ensureStreams();
    } catch (err) {
      await nc.close();
      throw err;
    }
    void bus.#watchStatus(() => (downSince = undefined));
    bus.#emit('connected', nc.getServer());
    return bus;
  }

  // ---- connection

  get maxPayload(): number {
    return this.nc.info?.max_payload ?? 1024 * 1024;
  }

  /** Bytes published and not yet written to the socket: the outbox, nats.js' buffer, the socket's. */
  get unsentBytes(): number {
    return this.#outboxBytes + this.#unsentBytes();
  }

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
        this.#connected = false;
        this.#bufferedWhileDown = 0;
        countDrop(this.stats, DropReason.unconfirmedAtDisconnect, this.#unconfirmed);
        this.#unconfirmed = 0;
        this.#confirmEpoch++;
        this.#emit('disconnected', s.server);
      } else if (s.type === 'reconnect') {
        this.#flushQueued();
        this.#connected = true;
        onReconnected();
        this.#emit('reconnected', s.server);
        // A restarted server has lost memory-storage streams (the media window) with their
        // definitions: put them back, or no window is kept until a pod restarts.
        void this.#restoreStreams();
      }
    }
    this.#connected = false;
    countDrop(this.stats, DropReason.closed, this.#queuedWhileDown.length);
    this.#queuedWhileDown = [];
    this.#emit('closed');
  }

  /** After a reconnect: ensure the streams, retrying while JetStream is still starting (a restarted server recovers its streams first). */
  async #restoreStreams(): Promise<void> {
    for (let i = 0; i < STREAM_RESTORE_ATTEMPTS && !this.nc.isClosed(); i++) {
      try {
        await this.#ensureStreams();
        this.streamErrors = 0;
        return;
      } catch {
        this.streamErrors++;
        await new Promise((r) => setTimeout(r, STREAM_RESTORE_RETRY_MS));
      }
    }
  }

  /** Creates or updates the streams: safe to run from every pod at every start. */
  async #ensureStreams(): Promise<void> {
    const replicas = this.opts.replicas ?? 1;
    const windowMs = this.opts.windowMs ?? 30_000;
    const configs: Array<Partial<StreamConfig> & { name: string }> = [
      {
        name: this.streams.media,
        subjects: [this.subjects.allMedia],
        storage: StorageType.Memory,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
        max_age: nanos(windowMs),
        max_bytes: this.opts.windowMaxBytes ?? -1,
        duplicate_window: nanos(Math.min(windowMs, 2000)),
        num_replicas: replicas,
      },
      {
        name: this.streams.events,
        subjects: [this.subjects.allEvents],
        storage: StorageType.File,
        retention: RetentionPolicy.Workqueue,
        discard: DiscardPolicy.Old,
        duplicate_window: nanos(EVENT_DUPLICATE_WINDOW_MS),
        num_replicas: replicas,
      },
      {
        name: this.streams.deadLetter,
        subjects: [this.subjects.allDeadLetters],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        max_age: nanos(DEAD_LETTER_MAX_AGE_MS),
        num_replicas: replicas,
      },
    ];
    for (const cfg of configs) {
      try {
        await this.jsm.streams.info(cfg.name);
      } catch (err) {
        if (!isApiError(err, JetStreamApiCodes.StreamNotFound)) throw err;
        try {
          await this.jsm.streams.add(cfg);
          continue;
        } catch (addErr) {
          // Another pod created it between our info and add: update it like an existing one.
          if (!/already in use/i.test((addErr as Error).message)) throw addErr;
        }
      }
      try {
        await this.jsm.streams.update(cfg.name, cfg);
      } catch (err) {
        throw new Error(`JetStream stream ${cfg.name} exists with settings that cannot be changed in place (storage or retention?): ${(err as Error).message}`, { cause: err });
      }
    }
  }

  // ---- frames

  publishFrame(frame: FrameEnvelope): void {
    const subject = this.subjects.media(frame.streamKind, frame.sim, frame.channel);
    const messages = frameMessages(frame, this.maxPayload);
    if (this.nc.isClosed() || this.nc.isDraining()) {
      countDrop(this.stats, DropReason.closed);
      return;
    }
    const out: OutgoingFrame = { subject, messages };
    if (!this.#connected) {
      if (!this.#queueWhileDown(out)) return;
    } else if (this.#unsentBytes() >= this.#hardBytes) {
      // Only a publisher that ignores pressure() gets here: the bound holds for it too.
      countDrop(this.stats, DropReason.outboundFull);
      return;
    } else {
      this.#toOutbox(out);
    }
    this.stats.framesPublished++;
    this.stats.bytesPublished += frame.data.length;
    if (messages.length > 1) {
      this.stats.chunkedFrames++;
      this.stats.chunksPublished += messages.length;
    }
  }

  #toOutbox(frame: OutgoingFrame): void {
    this.#outbox.push(frame);
    for (const m of frame.messages) this.#outboxBytes += m.headers.length + m.data.length;
    if (this.#outboxBytes >= OUTBOX_FLUSH_BYTES) {
      this.#flushOutbox();
    } else if (!this.#outboxScheduled) {
      this.#outboxScheduled = true;
      setImmediate(() => this.#flushOutbox());
    }
  }

  /**
   * Hands the turn's frames to nats.js, in publish order. Disconnected meanwhile, they join the
   * reconnect queue (a frame the queue has no room for is counted there, after being counted
   * as published).
   */
  #flushOutbox(): void {
    this.#outboxScheduled = false;
    const frames = this.#outbox;
    this.#outbox = [];
    this.#outboxBytes = 0;
    for (const f of frames) {
      if (this.#connected) this.#send(f);
      else this.#queueWhileDown(f);
    }
    this.#confirm();
  }

  /**
   * One PING at a time while frames are unconfirmed: its PONG means the server has read every
   * frame sent before it. What is still unconfirmed at a disconnect is counted as lost.
   */
  #confirm(): void {
    if (this.#confirming || this.#unconfirmed === 0 || !this.#connected) return;
    this.#confirming = true;
    const epoch = this.#confirmEpoch;
    const upTo = this.#unconfirmed;
    this.nc.flush().then(
      () => {
        if (epoch === this.#confirmEpoch) this.#unconfirmed -= upTo;
      },
      () => {},
    ).finally(() => {
      this.#confirming = false;
      if (epoch === this.#confirmEpoch) this.#confirm();
    });
  }

  /**
   * nats.js v3 discards its outbound buffer on every reconnect attempt, so frames published
   * while disconnected are queued here, bounded, and sent once the connection is back.
   */
  #queueWhileDown(f: OutgoingFrame): boolean {
    const bytes = frameBytes(f);
    if (this.#bufferedWhileDown + bytes > this.#reconnectBufferBytes) {
      countDrop(this.stats, DropReason.reconnectBufferFull);
      return false;
    }
    this.#bufferedWhileDown += bytes;
    this.#queuedWhileDown.push(f);
    return true;
  }

  #send(frame: OutgoingFrame): boolean {
    try {
      for (const m of frame.messages) this.nc.publish(frame.subject, m.data, { headers: new EncodedHeaders(m.headers) });
      this.#unconfirmed++;
      return true;
    } catch (err) {
      // Closed between the check and the publish: counted, never thrown into the ingest's read loop.
      if (this.nc.isClosed() || this.nc.isDraining()) {
        countDrop(this.stats, DropReason.closed);
        return false;
      }
      throw err;
    }
  }

  /** Back online: what was queued goes out first, in order, before any new frame. */
  #flushQueued(): void {
    const queued = this.#queuedWhileDown;
    this.#queuedWhileDown = [];
    this.#bufferedWhileDown = 0;
    for (const q of queued) this.#send(q);
    this.#confirm();
  }

  pressure(): BusPressure {
    if (this.nc.isClosed()) return 2;
    if (this.#connected) {
      const unsent = this.#unsentBytes();
      return unsent >= this.#hardBytes ? 2 : unsent >= this.#softBytes ? 1 : 0;
    }
    // Disconnected: let key frames (and their GOP) into the reconnect buffer while it is less
    // than half full, so a short outage costs at most a GOP; then nothing.
    return this.#bufferedWhileDown < this.#reconnectBufferBytes / 2 ? 1 : 2;
  }

  #reassembler(): ChunkReassembler {
    const r = new ChunkReassembler({
      timeoutMs: this.#reassemblyTimeoutMs,
      onLoss: (reason) => countDrop(this.stats, LOSS_REASON[reason]),
    });
    this.#reassemblers.add(r);
    return r;
  }

  #frame(r: ChunkReassembler, subject: string, headers: HeaderMap, data: Uint8Array): FrameEnvelope | undefined {
    try {
      return r.accept(subject, headers, data);
    } catch {
      countDrop(this.stats, DropReason.malformed);
      return undefined;
    }
  }

  #safe<T>(handler: (v: T) => void): (v: T) => void {
    return (v) => {
      try {
        handler(v);
      } catch {
        countDrop(this.stats, DropReason.handlerError);
      }
    };
  }

  async subscribeFrames(filter: FrameFilter, handler: (frame: FrameEnvelope) => void, opts: SubscribeFramesOptions = {}): Promise<Unsubscribe> {
    if (this.nc.isClosed()) throw new BusClosed('subscribeFrames');
    const subject = this.subjects.mediaFilter(filter.streamKind, filter.sim, filter.channel);
    const deliver = this.#safe(handler);
    const live = this.#reassembler();
    const seam = opts.fromWindow
      ? new WindowSeam(deliver, { onDuplicate: () => this.stats.seamDuplicates++, onOverflow: () => countDrop(this.stats, DropReason.seamOverflow) })
      : undefined;
    const sub: Subscription = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        const f = this.#frame(live, msg.subject, headerMap(msg.headers), msg.data);
        if (!f) return;
        if (seam) seam.live(f);
        else deliver(f);
      },
    });
    const stop = () => {
      sub.unsubscribe();
      live.clear();
      this.#reassemblers.delete(live);
      this.#stops.delete(stop);
    };
    this.#stops.add(stop);
    if (seam) {
      try {
        // The server has the live subscription before the window is read: every frame
        // published from here on reaches `live`, and the window covers what came before.
        await this.nc.flush();
        await this.#replayWindow(subject, seam);
      } catch (err) {
        stop();
        throw err;
      } finally {
        seam.finish();
      }
    }
    return stop;
  }

  /**
   * Reads the retained window for `subject` (an ordered consumer from the oldest message) into
   * the seam, until the consumer has nothing pending — and, if the live side already holds
   * frames past what the window gave, a little longer, so frames published just before the live
   * subscription started (still on their way into the stream) are not missed.
   */
  async #replayWindow(subject: string, seam: WindowSeam): Promise<void> {
    const consumer = await this.js.consumers.get(this.streams.media, { filter_subjects: subject, deliver_policy: DeliverPolicy.All });
    const info = await consumer.info(true);
    if (info.num_pending === 0) {
      await consumer.delete().catch(() => false);
      return;
    }
    const window = this.#reassembler();
    const messages: ConsumerMessages = await consumer.consume({ max_messages: 512 });
    const giveUp = setTimeout(() => void messages.close(), WINDOW_READ_TIMEOUT_MS);
    let catchUp: NodeJS.Timeout | undefined;
    try {
      for await (const m of messages) {
        const f = this.#frame(window, m.subject, headerMap(m.headers), m.data);
        if (f) seam.fromWindow(f);
        if (m.info.pending > 0) continue;
        if (!seam.gapAtSeam()) break;
        catchUp ??= setTimeout(() => void messages.close(), SEAM_CATCH_UP_MS);
      }
    } finally {
      clearTimeout(giveUp);
      clearTimeout(catchUp);
      window.clear();
      this.#reassemblers.delete(window);
      await messages.close().catch(() => undefined);
      // Ephemeral consumers otherwise linger for their inactive threshold (5 min).
      await consumer.delete().catch(() => false);
    }
  }

  // ---- talk and viewers

  publishTalk(audio: TalkAudio): void {
    const subject = this.subjects.talkDown(audio.sim, audio.channel);
    const headers = toHeaders(talkHeaders(audio));
    if (this.nc.isClosed() || this.nc.isDraining()) return;
    this.nc.publish(subject, audio.data, { headers });
    this.stats.talkPublished++;
  }

  async subscribeTalk(filter: TalkFilter, handler: (audio: TalkAudio) => void): Promise<Unsubscribe> {
    const deliver = this.#safe(handler);
    return this.#subscribe(this.subjects.talkDownFilter(filter.sim, filter.channel), (subject, headers, data) => deliver(talkFromMessage(subject, headers, data)));
  }

  publishViewers(notice: ViewerNotice): void {
    const subject = this.subjects.viewers(notice.streamKind, notice.sim, notice.channel);
    if (this.nc.isClosed() || this.nc.isDraining()) return;
    this.nc.publish(subject, encodeViewerNotice(notice));
    this.stats.viewerNoticesPublished++;
  }

  async subscribeViewers(filter: ViewerFilter, handler: (notice: ViewerNotice) => void): Promise<Unsubscribe> {
    const deliver = this.#safe(handler);
    return this.#subscribe(this.subjects.viewersFilter(filter.streamKind, filter.sim, filter.channel), (_s, _h, data) => deliver(decodeViewerNotice(data)));
  }

  async #subscribe(subject: string, onMessage: (subject: string, headers: HeaderMap, data: Uint8Array) => void): Promise<Unsubscribe> {
    if (this.nc.isClosed()) throw new BusClosed(`subscribe ${subject}`);
    const sub = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        try {
          onMessage(msg.subject, headerMap(msg.headers), msg.data);
        } catch {
          countDrop(this.stats, DropReason.malformed);
        }
      },
    });
    // Resolves once the server has the subscription: what is published after it arrives.
    await this.nc.flush();
    const stop = () => {
      sub.unsubscribe();
      this.#stops.delete(stop);
    };
    this.#stops.add(stop);
    return stop;
  }

  // ---- events

  async publishEvent(event: EventEnvelope): Promise<void> {
    if (this.nc.isClosed()) throw new BusClosed('publishEvent');
    const ack = await this.js.publish(this.subjects.event(event.type, event.action), encodeEvent(event), { msgID: event.id, expect: { streamName: this.streams.events } });
    if (!ack.duplicate) this.stats.eventsPublished++;
  }

  async #ensureConsumer(durable: string): Promise<void> {
    const ackWait = nanos(this.opts.eventAckWaitMs ?? 30_000);
    try {
      const info = await this.jsm.consumers.info(this.streams.events, durable);
      if (info.config.ack_wait !== ackWait) await this.jsm.consumers.update(this.streams.events, durable, { ack_wait: ackWait });
    } catch (err) {
      if (!isApiError(err, JetStreamApiCodes.ConsumerNotFound)) throw err;
      await this.jsm.consumers.add(this.streams.events, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        ack_wait: ackWait,
        max_ack_pending: EVENT_MAX_ACK_PENDING,
        deliver_policy: DeliverPolicy.All,
        // Never give up on an event here: the webhook decides when to dead-letter it.
        max_deliver: -1,
      });
    }
  }

  async consumeEvents(durable: string, handler: (pending: PendingBusEvent) => void): Promise<Unsubscribe> {
    if (this.nc.isClosed()) throw new BusClosed('consumeEvents');
    await this.#ensureConsumer(durable);
    let stopped = false;
    // Positions below the stream's first one are settled: gaps are counted from there.
    const gaps = new EventGaps((await this.jsm.streams.info(this.streams.events)).state.first_seq);
    let messages: ConsumerMessages | undefined = await (await this.js.consumers.get(this.streams.events, durable)).consume({ max_messages: EVENT_BATCH });
    const deliver = this.#safe(handler);
    void (async () => {
      while (!stopped) {
        try {
          messages ??= await (await this.js.consumers.get(this.streams.events, durable)).consume({ max_messages: EVENT_BATCH });
          for await (const m of messages) this.#handOver(m, deliver, gaps);
        } catch {
          // The loop ended abnormally (consumer deleted, JetStream unavailable): re-attach below.
        }
        messages = undefined;
        if (stopped || this.nc.isClosed()) return;
        await new Promise((r) => setTimeout(r, EVENT_REATTACH_MS));
        if (!stopped) await this.#ensureConsumer(durable).catch(() => undefined);
      }
    })();
    const stop = () => {
      stopped = true;
      void messages?.close();
      this.#stops.delete(stop);
    };
    this.#stops.add(stop);
    return stop;
  }

  #handOver(m: JsMsg, deliver: (p: PendingBusEvent) => void, gaps: EventGaps): void {
    gaps.seen(m.seq);
    let event: EventEnvelope;
    try {
      event = decodeEvent(m.data);
    } catch {
      // Not an event we can deliver: terminate it so it does not come back forever.
      m.term();
      countDrop(this.stats, DropReason.malformed);
      return;
    }
    const deliveryCount = m.info.deliveryCount;
    if (deliveryCount > 1) this.stats.eventsRedelivered++;
    deliver({
      event,
      order: m.seq,
      deliveryCount,
      ack: async () => {
        await m.ackAck();
      },
      retry: (delayMs) => m.nak(Math.max(0, delayMs)),
      keepAlive: () => m.working(),
      earlierElsewhere: () => this.#earlierElsewhere(m.seq, event, gaps),
    });
  }

  /**
   * The events stream is a work queue, so what it still holds is unacknowledged: a position this
   * consumer skipped that is still in the stream is held elsewhere. Each skipped position is read
   * once to learn its stream (cached in `gaps`); only those of this event's stream are read again
   * to see whether they are still there. Never answers false without having looked at every
   * skipped position below: when one check would read too many, it answers true and the next
   * check goes on. Costs nothing for a lone relay in the steady state (no gaps).
   */
  async #earlierElsewhere(seq: number, event: EventEnvelope, gaps: EventGaps): Promise<boolean> {
    if (gaps.size === 0) return false;
    const now = Date.now();
    if (now - this.#firstSeqCheckedAt > FIRST_SEQ_CACHE_MS) {
      this.#firstSeqCheckedAt = now;
      gaps.settledBelow((await this.jsm.streams.info(this.streams.events)).state.first_seq);
    }
    const mine = gapKey(event.type, event.streamKey);
    let reads = 0;
    for (const [s, known] of gaps.below(seq)) {
      if (known !== undefined && known !== mine) continue;
      if (reads++ >= MAX_EARLIER_READS) return true; // not all looked at yet: wait, the next check goes on
      let stored;
      try {
        stored = await this.jsm.streams.getMessage(this.streams.events, { seq: s });
      } catch {
        // A failed read (a timeout under load) proves nothing: wait and look again rather than
        // risk a leave before its join.
        return true;
      }
      if (!stored) {
        gaps.settled(s); // acknowledged (and removed) by whoever held it
        continue;
      }
      let key: string;
      try {
        const other = decodeEvent(stored.data);
        key = gapKey(other.type, other.streamKey);
      } catch {
        gaps.settled(s); // not an event: nobody will deliver it before ours
        continue;
      }
      gaps.describe(s, key);
      if (key === mine) return true;
    }
    return false;
  }

  /**
   * A core subscription on `<root>.events.>`: JetStream stream subjects also reach core
   * subscribers, so this sees every publish without taking events from the work queue.
   */
  async watchEvents(handler: (event: EventEnvelope) => void): Promise<Unsubscribe> {
    const deliver = this.#safe(handler);
    return this.#subscribe(this.subjects.allEvents, (_s, _h, data) => deliver(decodeEvent(data)));
  }

  async publishDeadLetter(event: EventEnvelope, reason: string): Promise<void> {
    await this.js.publish(this.subjects.deadLetter(event.type, event.action), JSON.stringify({ ...event, reason }), { msgID: `${event.id}-dead` });
  }

  // ---- lifecycle

  /** Removes this root's streams (tests on a shared server clean up after themselves). */
  async deleteStreams(): Promise<void> {
    for (const name of Object.values(this.streams)) {
      await this.jsm.streams.delete(name).catch(() => false);
    }
  }

  #stopAll(): void {
    clearInterval(this.#sweep);
    for (const stop of [...this.#stops]) stop();
  }

  async drain(): Promise<void> {
    if (this.nc.isClosed() || this.nc.isDraining()) return this.#closedPromise();
    clearInterval(this.#sweep);
    this.#flushOutbox();
    await this.nc.drain();
  }

  async close(): Promise<void> {
    if (this.nc.isClosed() || this.nc.isDraining()) return this.#closedPromise();
    this.#stopAll();
    this.#flushOutbox();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.nc.flush().catch(() => undefined),
      new Promise((r) => (timer = setTimeout(r, CLOSE_FLUSH_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    await this.nc.close();
  }

  async #closedPromise(): Promise<void> {
    await this.nc.closed();
  }
}
