/**
 * Events (EventBus): JetStream publish with their id as Nats-Msg-Id, awaiting the ack, into
 * `<ROOT>_EVENTS`: work-queue retention on file storage, so each event stays (across a server
 * restart) until a consumer acknowledges it and is removed then — the stream never holds
 * delivered events, and no age limit can drop one that a webhook outage kept waiting.
 * Consumers are durable pull consumers with explicit ack: an event a crashed consumer held is
 * redelivered after ack_wait, and `retry(delay)` is a NAK with that delay. Dead letters go to
 * `<ROOT>_DEADLETTER`. No stream here captures media (core NATS only, see nats-frame-publisher.ts).
 */
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy, DeliverPolicy, DiscardPolicy, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType,
  type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg, type StreamConfig,
} from '@nats-io/jetstream';
import type { BusStats } from './bus-stats.js';
import { decodeEvent, encodeEvent, type EventEnvelope } from './event-envelope.js';
import { EventGaps, gapKey } from './event-gaps.js';
import { BusClosed, type PendingBusEvent, type Unsubscribe } from './media-bus.js';
import type { NatsBusContext } from './nats-bus-context.js';
import type { Subjects } from './subjects.js';

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

function isApiError(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}

export interface NatsEventQueueOptions {
  readonly replicas?: number;
  readonly eventAckWaitMs?: number;
}

export class NatsEventQueue {
  readonly streams: { readonly events: string; readonly deadLetter: string };
  /** The media window stream earlier versions kept in JetStream: removed at connect. */
  readonly #legacyMediaStream: string;
  #firstSeqCheckedAt = 0;
  /** Failed attempts to restore the streams since the last reconnect (0 when they are in place). */
  streamErrors = 0;

  constructor(
    private readonly ctx: NatsBusContext,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly opts: NatsEventQueueOptions,
  ) {
    const base = ctx.subjects.root.replace(/[^A-Za-z0-9]/g, '_').toUpperCase();
    this.streams = { events: `${base}_EVENTS`, deadLetter: `${base}_DEADLETTER` };
    this.#legacyMediaStream = `${base}_MEDIA`;
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

  /** Never rejects (its caller does not wait): each failed attempt is counted in streamErrors and retried. */
  async restoreStreams(): Promise<void> {
    for (let i = 0; i < STREAM_RESTORE_ATTEMPTS && !this.nc.isClosed(); i++) {
      try {
        await this.ensureStreams();
        this.streamErrors = 0;
        return;
      } catch {
        this.streamErrors++;
        await new Promise((r) => setTimeout(r, STREAM_RESTORE_RETRY_MS));
      }
    }
  }

  /** Creates or updates the streams: safe to run from every pod at every start. */
  async ensureStreams(): Promise<void> {
    const replicas = this.opts.replicas ?? 1;
    // Media is core NATS only: a window stream left by an earlier version would still capture
    // every frame through one leader.
    await this.jsm.streams.delete(this.#legacyMediaStream).catch(() => false);
    const configs: Array<Partial<StreamConfig> & { name: string }> = [
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
    const deliver = this.ctx.safe(handler);
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
      this.ctx.stops.delete(stop);
    };
    this.ctx.stops.add(stop);
    return stop;
  }

  #handOver(m: JsMsg, deliver: (p: PendingBusEvent) => void, gaps: EventGaps): void {
    gaps.seen(m.seq);
    let event: EventEnvelope;
    try {
      event = decodeEvent(m.data);
    } catch (err) {
      // Not an event we can deliver: terminate it so it does not come back forever.
      m.term();
      this.ctx.dropUnreadable(err);
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
    const deliver = this.ctx.safe(handler);
    return this.ctx.subscribe(this.subjects.allEvents, (_s, _h, data) => deliver(decodeEvent(data)));
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
}
