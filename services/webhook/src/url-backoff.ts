/**
 * Per-URL backoff for the webhook relay. Each event keeps its own retry schedule (Svix-like:
 * 5 s, 5 min, 30 min …), but when a receiver stops answering every event for it would otherwise
 * wait out its next step, and a receiver back after a minute would get its events five minutes
 * later. Here events waiting for a URL are held together: while the URL is failing, the oldest
 * held event probes it on a short period (1 s doubling to 5 s) without spending an attempt of its
 * schedule, and the first success at that URL — a probe, or any event — releases every held
 * event at once, oldest first.
 */
import type { Logger } from 'pino';

const PROBE_MIN_MS = 1000;
const PROBE_MAX_MS = 5000;

/**
 * A failure that says the receiver (not this event) is the problem: no answer at all (refused,
 * reset, timed out) or a gateway's "not there" (502, 503, 504). An event refused on its own
 * merits (400, 500 …) keeps its own schedule and does not hold the others.
 */
export function receiverDown(outcome: { readonly status?: number }): boolean {
  return outcome.status === undefined || outcome.status === 502 || outcome.status === 503 || outcome.status === 504;
}

/** Why a held event stopped waiting: its scheduled time, the URL recovered, its turn to probe, or shutdown. */
export type Wake = 'time' | 'released' | 'probe' | 'closed';

export interface HeldEvent {
  /** Source order (JetStream sequence): ties broken by it. */
  readonly order: number;
  /** When the relay first saw it: the oldest probes first and is released first. */
  readonly firstSeen: number;
  /** Tells the source the event is still being worked on. */
  readonly keepAlive: () => void;
}

interface Held {
  readonly order: number;
  readonly firstSeen: number;
  readonly wake: (why: Wake) => void;
}

/** What the relay knows of one callback URL. */
interface UrlHealth {
  failing: boolean;
  readonly held: Set<Held>;
  probeMs: number;
  probe: NodeJS.Timeout | undefined;
}

export class UrlBackoff {
  readonly #health = new Map<string, UrlHealth>();
  readonly #all = new Set<Held>();
  #closed = false;

  constructor(private readonly opts: { readonly log: Logger; readonly keepAliveMs: number; readonly now: () => number }) {}

  /**
   * Holds an event for `url` until `retryAt` (its schedule), keeping it alive at the source. It
   * wakes early when the URL recovers ('released') or when it is the oldest held event and the
   * URL's probe is due ('probe').
   */
  hold(url: string, retryAt: number, event: HeldEvent): Promise<Wake> {
    if (this.#closed) return Promise.resolve('closed');
    const health = this.#healthOf(url);
    const now = this.opts.now;
    return new Promise<Wake>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const held: Held = {
        order: event.order,
        firstSeen: event.firstSeen,
        wake: (why) => {
          clearTimeout(timer);
          health.held.delete(held);
          this.#all.delete(held);
          resolve(why);
        },
      };
      const tick = () => {
        const left = retryAt - now();
        if (left <= 0) return held.wake('time');
        event.keepAlive();
        timer = setTimeout(tick, Math.min(left, this.opts.keepAliveMs));
      };
      health.held.add(held);
      this.#all.add(held);
      timer = setTimeout(tick, Math.min(Math.max(0, retryAt - now()), this.opts.keepAliveMs));
      if (health.failing) this.#scheduleProbe(url, health);
    });
  }

  /** A delivery to `url` failed because the receiver is not there. */
  failed(url: string): void {
    const h = this.#healthOf(url);
    if (h.failing) return;
    h.failing = true;
    h.probeMs = PROBE_MIN_MS;
    if (h.held.size > 0) this.#scheduleProbe(url, h);
  }

  /** A delivery to `url` succeeded: every event held for it goes now, oldest first. */
  succeeded(url: string): void {
    const h = this.#health.get(url);
    if (!h) return;
    const wasFailing = h.failing;
    h.failing = false;
    h.probeMs = PROBE_MIN_MS;
    clearTimeout(h.probe);
    h.probe = undefined;
    if (!wasFailing || h.held.size === 0) return;
    const held = [...h.held].sort(oldestFirst);
    this.opts.log.info({ url, released: held.length }, 'receiver is back: releasing the events held for it');
    for (const e of held) e.wake('released');
  }

  close(): void {
    this.#closed = true;
    for (const h of this.#health.values()) clearTimeout(h.probe);
    for (const held of [...this.#all]) held.wake('closed');
  }

  #healthOf(url: string): UrlHealth {
    let h = this.#health.get(url);
    if (!h) {
      h = { failing: false, held: new Set(), probeMs: PROBE_MIN_MS, probe: undefined };
      this.#health.set(url, h);
    }
    return h;
  }

  /** While `url` fails and events are held for it, the oldest is tried again on a short, growing period. */
  #scheduleProbe(url: string, h: UrlHealth): void {
    if (h.probe || this.#closed) return;
    h.probe = setTimeout(() => {
      h.probe = undefined;
      if (!h.failing || h.held.size === 0 || this.#closed) return;
      const oldest = [...h.held].sort(oldestFirst)[0]!;
      h.probeMs = Math.min(h.probeMs * 2, PROBE_MAX_MS);
      oldest.wake('probe');
      // The next probe: while still failing after this one, and events are still held.
      this.#scheduleProbe(url, h);
    }, h.probeMs);
    h.probe.unref();
  }
}

function oldestFirst(a: Held, b: Held): number {
  return a.firstSeen - b.firstSeen || a.order - b.order;
}
