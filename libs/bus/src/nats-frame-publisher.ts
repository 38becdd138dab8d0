/**
 * Frames out (FrameBus.publishFrame and pressure): core publish, no per-frame ack. Publishing a
 * frame costs one header string (encoded once, EncodedHeaders) and a place in the outbox: frames
 * published during one turn of the event loop go to nats.js together in a setImmediate, so its
 * socket gets one write per turn (or per OUTBOX_FLUSH_BYTES) instead of one per device read —
 * nats.js flushes in a microtask after every callback that published. The pressure publishers
 * read comes from the bytes the client holds unsent (its outbound buffer and the socket's),
 * against soft and hard limits: a NATS server that reads more slowly than the ingest publishes
 * makes the key-frame gate drop frames instead of the client buffering them without bound.
 *
 * While disconnected, frames are queued here up to `reconnectBufferBytes` (nats.js v3 itself
 * discards what it buffered when it redials) and counted as dropped beyond that. Frames
 * published in the instant between the socket dying and the client reporting it are lost inside
 * nats.js: every frame handed to it is counted until a PONG confirms the server read it, and
 * those unconfirmed at a disconnect are counted as dropped (unconfirmed-at-disconnect).
 *
 * Every frame that goes out is also kept in this pod's replay window (FrameReplayResponder), which
 * answers `<root>.replay.…` for the streams this pod publishes.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { DropReason, countDrop, type BusStats } from './bus-stats.js';
import { EncodedHeaders } from './encoded-headers.js';
import { frameHeaderBlock, type FrameEnvelope } from './frame-envelope.js';
import { frameMessages } from './frame-messages.js';
import type { BusPressure } from './media-bus.js';
import type { NatsBusContext } from './nats-bus-context.js';
import { unsentBytesProbe } from './nats-connection.js';
import { FrameReplayResponder } from './nats-frame-replay.js';
import type { Subjects } from './subjects.js';
import { encodeWireBatch, rawCommandSender, wireMessagesOf, type RawCommandSender, type WireFrame } from './nats-wire-batch.js';

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
/**
 * Batches go out at most this often (unless OUTBOX_FLUSH_BYTES is reached first). On a lightly
 * loaded pod a turn holds one device read, so a batch per turn meant a socket write, a PING and
 * its PONG's wake-up per frame — the larger part of the ingest's CPU per frame at 200 devices. A
 * frame that finds the last batch older than this still goes at the end of its turn: pacing
 * costs latency (≤ this) only when frames come faster than batches.
 */
export const OUTBOX_MIN_INTERVAL_MS = 2;
/**
 * The replay window: a packager's playlist window (6 segments of 2 s by default) plus the segment
 * being cut and one to spare. At 1 Mbit/s, ~2 MB per stream.
 */
export const REPLAY_KEEP_MS = 16_000;
/** Per stream: 16 s at 8 Mbit/s. */
export const REPLAY_STREAM_BYTES = 16 * 1024 * 1024;
/** Per pod: 500 streams at 1 Mbit/s. */
export const REPLAY_POD_BYTES = 1024 * 1024 * 1024;

export interface NatsFramePublisherOptions {
  readonly windowMs?: number;
  readonly windowMaxBytes?: number;
  readonly windowPodMaxBytes?: number;
  readonly reconnectBufferBytes?: number;
  readonly pressureSoftBytes?: number;
  readonly pressureHardBytes?: number;
}

/** A frame on its way out: its subject, its bytes, and whether it opens a segment (for the window). */
interface OutgoingFrame extends WireFrame {
  readonly mark: boolean;
  /** Header and payload bytes of all its messages. */
  readonly bytes: number;
}

/**
 * What a stream's frames share, looked up once per stream rather than built per frame: the
 * subject (its SIM checked), and whether the text headers are ASCII (then the header block goes
 * into the batch as it is). Checked against every frame by identity of its strings.
 */
interface StreamText {
  readonly streamKind: string;
  readonly sim: string;
  readonly channel: number;
  readonly connectionId: string;
  readonly codec: string;
  readonly subject: string;
  readonly ascii: boolean;
}

/** Streams whose StreamText is kept; past this the cache starts over (a pod's streams, with room for churn). */
const STREAM_TEXT_LIMIT = 8192;
/** A UTF-16 code unit above 0x7f: the text is not ASCII. */
const NON_ASCII = /[\u0080-\uffff]/;

/** Payload bytes of a frame (what the reconnect buffer counts). */
function payloadBytes(f: OutgoingFrame): number {
  if (!f.messages) return f.data.length;
  let n = 0;
  for (const m of f.messages) n += m.data.length;
  return n;
}

export class NatsFramePublisher {
  /** The recent window of the streams this pod publishes, answering replay requests. */
  readonly replay: FrameReplayResponder;
  #connected = true;
  #bufferedWhileDown = 0;
  #queuedWhileDown: OutgoingFrame[] = [];
  /** Frames published this turn, handed to nats.js together (see the file comment). */
  #outbox: OutgoingFrame[] = [];
  #outboxBytes = 0;
  #outboxScheduled = false;
  /** When the last batch went to nats.js (performance.now()). */
  #lastFlushAt = -Infinity;
  /** Frames handed to nats.js since the server last confirmed reading them (a PONG); lost if the connection drops now. */
  #unconfirmed = 0;
  #confirming = false;
  /** Bumped at each disconnect: a PONG from before it confirms nothing after it. */
  #confirmEpoch = 0;
  readonly #unsentBytes: () => number;
  readonly #softBytes: number;
  readonly #hardBytes: number;
  readonly #reconnectBufferBytes: number;
  /** The turn's frames go to nats.js as one command when it has a raw sender (nats-wire-batch.ts). */
  readonly #raw: RawCommandSender | undefined;
  readonly #streamText = new Map<string, StreamText>();

  constructor(private readonly ctx: NatsBusContext, opts: NatsFramePublisherOptions) {
    this.replay = new FrameReplayResponder(ctx.nc, ctx.subjects.root, {
      keepMs: opts.windowMs ?? REPLAY_KEEP_MS,
      maxStreamBytes: opts.windowMaxBytes ?? REPLAY_STREAM_BYTES,
      maxPodBytes: opts.windowPodMaxBytes ?? REPLAY_POD_BYTES,
    });
    this.#reconnectBufferBytes = opts.reconnectBufferBytes ?? 8 * 1024 * 1024;
    this.#softBytes = opts.pressureSoftBytes ?? PRESSURE_SOFT_BYTES;
    this.#hardBytes = opts.pressureHardBytes ?? PRESSURE_HARD_BYTES;
    if (!(this.#softBytes > 0 && this.#hardBytes >= this.#softBytes)) throw new RangeError(`pressure limits: need 0 < soft (${this.#softBytes}) <= hard (${this.#hardBytes})`);
    this.#unsentBytes = unsentBytesProbe(ctx.nc);
    this.#raw = rawCommandSender(ctx.nc);
  }

  private get nc(): NatsConnection {
    return this.ctx.nc;
  }

  private get stats(): BusStats {
    return this.ctx.stats;
  }

  private get subjects(): Subjects {
    return this.ctx.subjects;
  }

  get maxPayload(): number {
    return this.nc.info?.max_payload ?? 1024 * 1024;
  }

  /** Bytes published and not yet written to the socket: the outbox, nats.js' buffer, the socket's. */
  get unsentBytes(): number {
    return this.#outboxBytes + this.#unsentBytes();
  }

  /** The connection dropped: frames queue here (bounded) until it is back. */
  disconnected(): void {
    this.#connected = false;
    this.#bufferedWhileDown = 0;
    countDrop(this.stats, DropReason.unconfirmedAtDisconnect, this.#unconfirmed);
    this.#unconfirmed = 0;
    this.#confirmEpoch++;
  }

  /** Back online: what was queued goes out first, in order, before any new frame. */
  reconnected(): void {
    this.#flushQueued();
    this.#connected = true;
  }

  /** The connection closed for good: what was queued is lost, and counted. */
  closed(): void {
    this.#connected = false;
    countDrop(this.stats, DropReason.closed, this.#queuedWhileDown.length);
    this.#queuedWhileDown = [];
  }

  /** Stops answering replays and hands the outbox to nats.js (close and drain). */
  finish(): void {
    this.replay.close();
    this.flushOutbox();
  }

  publishFrame(frame: FrameEnvelope): void {
    const text = this.#textOf(frame);
    const header = frameHeaderBlock(frame);
    const maxPayload = this.maxPayload;
    let out: OutgoingFrame;
    const mark = frame.segment !== undefined;
    if (text.ascii && header.length + frame.data.length <= maxPayload) {
      out = { subject: text.subject, headerText: header, data: frame.data, messages: undefined, mark, bytes: header.length + frame.data.length };
    } else {
      const messages = frameMessages(frame, maxPayload);
      let bytes = 0;
      for (const m of messages) bytes += m.headers.length + m.data.length;
      out = { subject: text.subject, headerText: undefined, data: frame.data, messages, mark, bytes };
    }
    if (this.nc.isClosed() || this.nc.isDraining()) {
      countDrop(this.stats, DropReason.closed);
      return;
    }
    if (!this.#connected) {
      // What the outbox holds was published first: it goes to the reconnect queue (and the window) first.
      if (this.#outbox.length > 0) this.flushOutbox();
      if (!this.#queueWhileDown(out)) return;
      // Only what subscribers will see goes into the window.
      this.replay.record(out.subject, wireMessagesOf(out), mark);
    } else if (this.#unsentBytes() >= this.#hardBytes) {
      // Only a publisher that ignores pressure() gets here: the bound holds for it too.
      countDrop(this.stats, DropReason.outboundFull);
      return;
    } else {
      this.#toOutbox(out);
    }
    this.stats.framesPublished++;
    this.stats.bytesPublished += frame.data.length;
    if (out.messages && out.messages.length > 1) {
      this.stats.chunkedFrames++;
      this.stats.chunksPublished += out.messages.length;
    }
  }

  #textOf(frame: FrameEnvelope): StreamText {
    const known = this.#streamText.get(frame.streamPath);
    if (
      known !== undefined && known.sim === frame.sim && known.channel === frame.channel && known.streamKind === frame.streamKind &&
      known.connectionId === frame.connectionId && known.codec === frame.codec
    ) {
      return known;
    }
    const text: StreamText = {
      streamKind: frame.streamKind,
      sim: frame.sim,
      channel: frame.channel,
      connectionId: frame.connectionId,
      codec: frame.codec,
      subject: this.subjects.media(frame.streamKind, frame.sim, frame.channel),
      ascii: !NON_ASCII.test(frame.connectionId) && !NON_ASCII.test(frame.codec) && !NON_ASCII.test(frame.streamPath),
    };
    if (this.#streamText.size >= STREAM_TEXT_LIMIT) this.#streamText.clear();
    this.#streamText.set(frame.streamPath, text);
    return text;
  }

  #toOutbox(frame: OutgoingFrame): void {
    this.#outbox.push(frame);
    this.#outboxBytes += frame.bytes;
    if (this.#outboxBytes >= OUTBOX_FLUSH_BYTES) {
      this.flushOutbox();
    } else if (!this.#outboxScheduled) {
      this.#outboxScheduled = true;
      const wait = this.#lastFlushAt + OUTBOX_MIN_INTERVAL_MS - performance.now();
      if (wait > 0) setTimeout(() => this.flushOutbox(), wait);
      else setImmediate(() => this.flushOutbox());
    }
  }

  /**
   * Hands the turn's frames to nats.js, in publish order, and keeps them in the replay window (as
   * views into the batch that was sent). Disconnected meanwhile, they join the reconnect queue (a
   * frame the queue has no room for is counted there, after being counted as published).
   */
  flushOutbox(): void {
    this.#outboxScheduled = false;
    const frames = this.#outbox;
    this.#outbox = [];
    this.#outboxBytes = 0;
    if (frames.length === 0) return;
    this.#lastFlushAt = performance.now();
    if (this.#connected && this.#raw && !this.nc.isClosed() && !this.nc.isDraining()) {
      // The confirming PING rides at the end of the batch when none is out (see #confirm).
      const ping = !this.#confirming;
      const batch = encodeWireBatch(frames, ping);
      this.#unconfirmed += frames.length;
      if (ping) this.#confirm(this.#raw.sendWithPing(batch.bytes));
      else this.#raw.send(batch.bytes);
      let k = 0;
      for (const f of frames) {
        const n = f.messages ? f.messages.length : 1;
        this.replay.keep(f.subject, n === 1 ? [batch.messages[k]!] : batch.messages.slice(k, k + n), f.mark);
        k += n;
      }
    } else {
      for (const f of frames) {
        if (this.#connected ? this.#send(f) : this.#queueWhileDown(f)) this.replay.record(f.subject, wireMessagesOf(f), f.mark);
      }
    }
    this.#confirm();
  }

  /**
   * One PING at a time while frames are unconfirmed: its PONG means the server has read every
   * frame sent before it. What is still unconfirmed at a disconnect is counted as lost. The PING
   * goes at the end of the next batch (`pong`: the batch's); a standalone one (nc.flush) only when
   * no batch is on its way at the end of the turn in which the last PONG came.
   */
  #confirm(pong?: Promise<void>): void {
    if (this.#confirming || this.#unconfirmed === 0 || !this.#connected) return;
    this.#confirming = true;
    const epoch = this.#confirmEpoch;
    const upTo = this.#unconfirmed;
    (pong ?? this.nc.flush()).then(
      () => {
        if (epoch === this.#confirmEpoch) this.#unconfirmed -= upTo;
      },
      () => {},
    ).finally(() => {
      this.#confirming = false;
      if (epoch !== this.#confirmEpoch || this.#unconfirmed === 0) return;
      setImmediate(() => {
        if (!this.#outboxScheduled) this.#confirm();
      });
    });
  }

  /**
   * nats.js v3 discards its outbound buffer on every reconnect attempt, so frames published
   * while disconnected are queued here, bounded, and sent once the connection is back.
   */
  #queueWhileDown(f: OutgoingFrame): boolean {
    const bytes = payloadBytes(f);
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
      for (const m of wireMessagesOf(frame)) this.nc.publish(frame.subject, m.data, { headers: new EncodedHeaders(m.headers) });
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

  #flushQueued(): void {
    const queued = this.#queuedWhileDown;
    this.#queuedWhileDown = [];
    this.#bufferedWhileDown = 0;
    for (const q of queued) {
      try {
        this.#send(q);
      } catch {
        // The server reached on reconnect may refuse what another accepted (a smaller
        // max_payload): that frame is counted, the rest of the queue still goes.
        countDrop(this.stats, DropReason.closed);
      }
    }
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
}
