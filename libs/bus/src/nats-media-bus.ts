/**
 * The bus on NATS (nats.js v3). Frames go out with core publish — fast, no per-frame ack — and a
 * JetStream stream captures them for a short window (memory storage: the window is seconds of
 * video that a restarted packager needs, not data to keep). Events go through JetStream with
 * their id as Nats-Msg-Id, into a work-queue stream on file storage that keeps each event until
 * a consumer acknowledges it. Frames above the server's max_payload travel in chunks and are
 * put back together by subscribers; nothing is dropped without a count.
 */
import { connect, headers as natsHeaders, nanos, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import type { EventEnvelope } from './event-envelope.js';
import { FrameHeader, frameFromMessage, frameHeaders, type FrameEnvelope } from './frame-envelope.js';
import type { BusPressure, BusStats, FrameFilter, MediaBus, PendingBusEvent, Unsubscribe } from './media-bus.js';
import { Subjects, checkChannel, checkSim } from './subjects.js';

export interface NatsMediaBusOptions {
  readonly url: string;
  /** Subject root (default `jt1078`); stream names derive from it. */
  readonly root?: string;
  /** Media window (default 30 s). */
  readonly windowMs?: number;
  /** Connection name, seen in the server's monitoring (the pod name). */
  readonly name?: string;
  /** Events are redelivered when not acknowledged (or kept alive) within this (default 30 s). */
  readonly eventAckWaitMs?: number;
  readonly onStatus?: (status: 'connected' | 'disconnected' | 'reconnected' | 'closed', detail?: string) => void;
}

interface EventGaps {
  readonly unseen: Set<number>;
  maxSeen: number;
}

/** Earlier messages fetched per check (held by other relays); bounded so one check stays cheap. */
const MAX_EARLIER_CHECKS = 64;

/** Room left in each message for headers when a frame is cut into chunks. */
const HEADER_ALLOWANCE = 1024;
/** An incomplete chunked frame is given up after this long, and counted. */
const REASSEMBLY_TIMEOUT_MS = 5000;

function headerMap(h: MsgHdrs | undefined): Map<string, string> {
  const m = new Map<string, string>();
  if (h) for (const [k, v] of h) m.set(k, v[0] ?? '');
  return m;
}

export class NatsMediaBus implements MediaBus {
  readonly stats: BusStats = { framesPublished: 0, bytesPublished: 0, chunkedFrames: 0, framesDropped: 0, reassemblyTimeouts: 0, eventsPublished: 0 };
  readonly subjects: Subjects;
  readonly streams: { readonly media: string; readonly events: string; readonly deadLetter: string };
  #connected = true;

  private constructor(
    readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    root: string,
    private readonly eventAckWaitMs: number,
  ) {
    this.subjects = new Subjects(root);
    const base = root.replace(/[^A-Za-z0-9]/g, '_').toUpperCase();
    this.streams = { media: `${base}_MEDIA`, events: `${base}_EVENTS`, deadLetter: `${base}_DEADLETTER` };
  }

  static async connect(opts: NatsMediaBusOptions): Promise<NatsMediaBus> {
    const nc = await connect({
      servers: opts.url,
      name: opts.name ?? 'jt1078',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      waitOnFirstConnect: false,
    });
    const bus = new NatsMediaBus(nc, jetstream(nc), await jetstreamManager(nc), opts.root ?? 'jt1078', opts.eventAckWaitMs ?? 30_000);
    await bus.#ensureStreams(opts.windowMs ?? 30_000);
    void bus.#watchStatus(opts.onStatus);
    opts.onStatus?.('connected');
    return bus;
  }

  async #watchStatus(onStatus: NatsMediaBusOptions['onStatus']): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') {
        this.#connected = false;
        onStatus?.('disconnected', String(s.server ?? ''));
      } else if (s.type === 'reconnect') {
        this.#connected = true;
        onStatus?.('reconnected', String(s.server ?? ''));
      }
    }
  }

  /** Creates or updates the streams: safe to run from every pod at every start. */
  async #ensureStreams(windowMs: number): Promise<void> {
    const configs: Array<Partial<StreamConfig> & { name: string }> = [
      {
        name: this.streams.media,
        subjects: [this.subjects.allMedia],
        storage: StorageType.Memory,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
        max_age: nanos(windowMs),
        // De-duplication only needs to cover a publisher's retry, not the whole window.
        duplicate_window: nanos(Math.min(windowMs, 2000)),
        max_msg_size: -1,
      },
      {
        name: this.streams.events,
        subjects: [this.subjects.allEvents],
        storage: StorageType.File,
        retention: RetentionPolicy.Workqueue,
        duplicate_window: nanos(120_000),
      },
      {
        name: this.streams.deadLetter,
        subjects: [`${this.subjects.root}.deadletter.>`],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        max_age: nanos(30 * 24 * 3_600_000),
      },
    ];
    for (const cfg of configs) {
      try {
        await this.jsm.streams.info(cfg.name);
        await this.jsm.streams.update(cfg.name, cfg);
      } catch (err) {
        if (!/not found/i.test((err as Error).message)) throw err;
        await this.jsm.streams.add(cfg);
      }
    }
  }

  get maxPayload(): number {
    return this.nc.info?.max_payload ?? 1024 * 1024;
  }

  publishFrame(frame: FrameEnvelope): void {
    const subject = this.subjects.media(frame.streamKind, frame.sim, frame.channel);
    const h = natsHeaders();
    for (const [k, v] of frameHeaders(frame)) h.set(k, v);
    const limit = this.maxPayload - HEADER_ALLOWANCE;
    try {
      if (frame.data.length <= limit) {
        this.nc.publish(subject, frame.data, { headers: h });
      } else {
        // Larger than the server takes in one message: the same headers on each piece, plus
        // its index, and a msg id per piece so JetStream keeps them all.
        const count = Math.ceil(frame.data.length / limit);
        const id = h.get(FrameHeader.msgId);
        for (let i = 0; i < count; i++) {
          const ch = natsHeaders();
          for (const [k, v] of frameHeaders(frame)) ch.set(k, v);
          ch.set(FrameHeader.chunk, `${i}/${count}`);
          ch.set(FrameHeader.msgId, `${id}-${i}`);
          this.nc.publish(subject, frame.data.subarray(i * limit, (i + 1) * limit), { headers: ch });
        }
        this.stats.chunkedFrames++;
      }
      this.stats.framesPublished++;
      this.stats.bytesPublished += frame.data.length;
    } catch (err) {
      // Closed or draining connection: counted, never thrown into the ingest's read loop.
      this.stats.framesDropped++;
      void err;
    }
  }

  pressure(): BusPressure {
    // While reconnecting, frames would only queue in memory and arrive late: drop them (counted
    // by the ingest's gate) and resume at a key frame once connected.
    return this.#connected ? 0 : 2;
  }

  #filterSubject(f: FrameFilter): string {
    const sim = f.sim === undefined ? '*' : checkSim(f.sim);
    const channel = f.channel === undefined ? '*' : String(checkChannel(f.channel));
    return `${this.subjects.root}.media.${f.streamKind}.${sim}.${channel}`;
  }

  async subscribeFrames(filter: FrameFilter, handler: (frame: FrameEnvelope) => void, opts: { fromWindow?: boolean } = {}): Promise<Unsubscribe> {
    const subject = this.#filterSubject(filter);
    const chunks = new ChunkReassembler(() => this.stats.reassemblyTimeouts++);
    // The live subscription starts first and holds what arrives while the window is read.
    let held: FrameEnvelope[] | undefined = opts.fromWindow ? [] : undefined;
    const lastFromWindow = new Map<string, number>();
    const deliver = (f: FrameEnvelope) => {
      if (held) held.push(f);
      else handler(f);
    };
    const sub = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        const f = chunks.accept(msg.subject, headerMap(msg.headers), msg.data);
        if (f) deliver(f);
      },
    });
    if (opts.fromWindow) {
      const windowChunks = new ChunkReassembler(() => this.stats.reassemblyTimeouts++);
      const consumer = await this.js.consumers.get(this.streams.media, { filter_subjects: subject, deliver_policy: DeliverPolicy.All });
      const info = await consumer.info(true);
      let pending = info.num_pending;
      if (pending > 0) {
        const messages = await consumer.consume();
        for await (const m of messages) {
          const f = windowChunks.accept(m.subject, headerMap(m.headers), m.data);
          if (f) {
            handler(f);
            lastFromWindow.set(`${f.connectionId}/${f.streamPath}`, f.sequence);
          }
          pending = m.info.pending;
          if (pending === 0) break;
        }
        await messages.close();
      }
      // The seam: live frames the window already gave are dropped; the rest follow in order.
      const queued = held ?? [];
      held = undefined;
      for (const f of queued) {
        const last = lastFromWindow.get(`${f.connectionId}/${f.streamPath}`);
        if (last === undefined || f.sequence > last) handler(f);
      }
    }
    return () => sub.unsubscribe();
  }

  async publishEvent(event: EventEnvelope): Promise<void> {
    await this.js.publish(this.subjects.event(event.type, event.action), JSON.stringify(event), { msgID: event.id });
    this.stats.eventsPublished++;
  }

  async consumeEvents(durable: string, handler: (pending: PendingBusEvent) => void): Promise<Unsubscribe> {
    try {
      await this.jsm.consumers.info(this.streams.events, durable);
    } catch {
      await this.jsm.consumers.add(this.streams.events, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(this.eventAckWaitMs),
        max_ack_pending: 10_000,
        deliver_policy: DeliverPolicy.All,
      });
    }
    const consumer = await this.js.consumers.get(this.streams.events, durable);
    const messages = await consumer.consume({ max_messages: 256 });
    // Sequence numbers in the stream this consumer has not been handed (held by other relays):
    // gaps below the highest one seen. Usually empty, so the order check stays cheap.
    const gaps: EventGaps = { unseen: new Set(), maxSeen: (await this.jsm.streams.info(this.streams.events)).state.first_seq - 1 };
    void (async () => {
      for await (const m of messages) {
        let event: EventEnvelope;
        try {
          event = JSON.parse(new TextDecoder().decode(m.data)) as EventEnvelope;
        } catch {
          // Not ours to deliver: terminate it so it does not come back forever.
          m.term();
          continue;
        }
        if (m.seq > gaps.maxSeen) {
          for (let s = gaps.maxSeen + 1; s < m.seq; s++) gaps.unseen.add(s);
          gaps.maxSeen = m.seq;
        } else {
          gaps.unseen.delete(m.seq);
        }
        handler({
          event,
          order: m.seq,
          deliveryCount: m.info.deliveryCount,
          ack: async () => {
            await m.ackAck();
          },
          keepAlive: () => m.working(),
          earlierElsewhere: () => this.#earlierElsewhere(m.seq, event, gaps),
        });
      }
    })();
    return () => void messages.close();
  }

  #firstSeq = { value: 0, at: 0 };

  /**
   * The events stream is a work queue: what it still holds is unacknowledged. Earlier messages
   * this consumer has not seen are held by someone else; one with the same key must go first.
   * Steady state costs nothing: no gap, no call.
   */
  async #earlierElsewhere(seq: number, event: EventEnvelope, gaps: EventGaps): Promise<boolean> {
    if (gaps.unseen.size === 0) return false;
    const now = Date.now();
    if (now - this.#firstSeq.at > 250) {
      this.#firstSeq = { value: (await this.jsm.streams.info(this.streams.events)).state.first_seq, at: now };
      for (const s of gaps.unseen) if (s < this.#firstSeq.value) gaps.unseen.delete(s);
    }
    let checked = 0;
    for (const s of gaps.unseen) {
      if (s >= seq || checked >= MAX_EARLIER_CHECKS) continue;
      checked++;
      try {
        const m = await this.jsm.streams.getMessage(this.streams.events, { seq: s });
        if (!m) {
          gaps.unseen.delete(s);
          continue;
        }
        const other = m.json<EventEnvelope>();
        if (other.type === event.type && other.streamKey === event.streamKey) return true;
      } catch {
        // Gone: acknowledged (and removed) by whoever held it.
        gaps.unseen.delete(s);
      }
    }
    return false;
  }

  async publishDeadLetter(event: EventEnvelope, reason: string): Promise<void> {
    await this.js.publish(this.subjects.deadLetter(event.type, event.action), JSON.stringify({ ...event, reason }), { msgID: `${event.id}-dead` });
  }

  /** Removes this root's streams (tests on a shared server clean up after themselves). */
  async deleteStreams(): Promise<void> {
    for (const name of Object.values(this.streams)) {
      await this.jsm.streams.delete(name).catch(() => false);
    }
  }

  /** Flushes what was published and closes. */
  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.drain();
  }
}

/** Puts chunked frames back together; bounded by REASSEMBLY_TIMEOUT_MS per frame. */
class ChunkReassembler {
  readonly #open = new Map<string, { parts: Uint8Array[]; got: number; started: number }>();

  constructor(private readonly onTimeout: () => void) {}

  accept(subject: string, headers: Map<string, string>, data: Uint8Array): FrameEnvelope | undefined {
    const chunk = headers.get(FrameHeader.chunk);
    if (!chunk) return frameFromMessage(subject, headers, data);
    const [index, count] = chunk.split('/').map(Number) as [number, number];
    const key = `${subject}/${headers.get(FrameHeader.connection)}/${headers.get(FrameHeader.sequence)}`;
    const now = Date.now();
    for (const [k, v] of this.#open) {
      if (now - v.started > REASSEMBLY_TIMEOUT_MS) {
        this.#open.delete(k);
        this.onTimeout();
      }
    }
    let entry = this.#open.get(key);
    if (!entry) {
      entry = { parts: new Array<Uint8Array>(count), got: 0, started: now };
      this.#open.set(key, entry);
    }
    if (!entry.parts[index]) {
      entry.parts[index] = data;
      entry.got++;
    }
    if (entry.got < count) return undefined;
    this.#open.delete(key);
    const size = entry.parts.reduce((n, p) => n + p.length, 0);
    const whole = new Uint8Array(size);
    let o = 0;
    for (const p of entry.parts) {
      whole.set(p, o);
      o += p.length;
    }
    return frameFromMessage(subject, headers, whole);
  }
}

/** The pod's bus: NATS from its config, readiness blocked while disconnected. */
export function connectPodBus(pod: { readonly name: string; readonly config: { readonly cluster: { readonly nats: { readonly url: string; readonly subject_root: string; readonly event_ack_wait_second: number } } }; readonly health: { block(name: string, reason: string): void; unblock(name: string): void } }): Promise<NatsMediaBus> {
  const nats = pod.config.cluster.nats;
  return NatsMediaBus.connect({
    url: nats.url,
    root: nats.subject_root,
    eventAckWaitMs: nats.event_ack_wait_second * 1000,
    name: pod.name,
    onStatus: (s) => (s === 'disconnected' ? pod.health.block('nats', 'disconnected') : pod.health.unblock('nats')),
  });
}
