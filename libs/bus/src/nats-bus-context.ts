/**
 * What the parts of the NATS bus share (nats-media-bus.ts composes them): the connection, the
 * counters, the subject names, the stop functions of live subscriptions (close() runs them), the
 * way a received message that cannot be read is dropped (counted, and told to `onUnreadable`),
 * and the two ways every part subscribes — a handler whose throw is counted, not propagated, and
 * a plain core subscription that resolves once the server has it.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { DropReason, countDrop, newBusStats, type BusStats } from './bus-stats.js';
import { UnknownCodec, type HeaderMap } from './frame-envelope.js';
import { BusClosed, type Unsubscribe } from './media-bus.js';
import { headerMap } from './nats-frame-replay.js';
import type { Subjects } from './subjects.js';

/** Told of each received message dropped as unreadable, after it is counted. */
export type UnreadableListener = (reason: typeof DropReason.malformed | typeof DropReason.unknownCodec, err: unknown) => void;

export class NatsBusContext {
  readonly stats: BusStats = newBusStats();
  /** Stops of live subscriptions and consumers; close() runs them all. */
  readonly stops = new Set<() => void>();

  constructor(
    readonly nc: NatsConnection,
    readonly subjects: Subjects,
    private readonly onUnreadable?: UnreadableListener,
  ) {}

  /** A received message that could not be read (`err` says why): counted under its reason, and told. */
  dropUnreadable(err: unknown): void {
    const reason = err instanceof UnknownCodec ? DropReason.unknownCodec : DropReason.malformed;
    countDrop(this.stats, reason);
    this.onUnreadable?.(reason, err);
  }

  /** `handler`, with a throw counted as handler-error instead of reaching nats.js. */
  safe<T>(handler: (v: T) => void): (v: T) => void {
    return (v) => {
      try {
        handler(v);
      } catch {
        countDrop(this.stats, DropReason.handlerError);
      }
    };
  }

  /** A core subscription; a message `onMessage` cannot read is counted as malformed. */
  async subscribe(subject: string, onMessage: (subject: string, headers: HeaderMap, data: Uint8Array) => void): Promise<Unsubscribe> {
    if (this.nc.isClosed()) throw new BusClosed(`subscribe ${subject}`);
    const sub = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        try {
          onMessage(msg.subject, headerMap(msg.headers), msg.data);
        } catch (err) {
          this.dropUnreadable(err);
        }
      },
    });
    // Resolves once the server has the subscription: what is published after it arrives.
    await this.nc.flush();
    const stop = () => {
      sub.unsubscribe();
      this.stops.delete(stop);
    };
    this.stops.add(stop);
    return stop;
  }

  /** Runs every stop (subscriptions end at once). */
  stopAll(): void {
    for (const stop of [...this.stops]) stop();
  }
}
