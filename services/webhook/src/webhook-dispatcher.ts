/**
 * Delivers join/leave events to their callback URLs: in order per stream (a join before its
 * leave), in parallel across streams, with bounded concurrency, retries on a schedule, a
 * dead-letter hand-off after the last attempt, and 410 Gone disabling a URL. The event source
 * (a durable JetStream consumer in a cluster, the in-process queue in `jt1078 start`) hands
 * events in with `push`; an event is acknowledged only once it is delivered, disabled or
 * dead-lettered, so a crash redelivers it.
 */
import type { Logger } from 'pino';
import type { CallbackPoster, PostOutcome } from './callback-poster.js';
import type { RetrySchedule } from './retry-schedule.js';
import type { WebhookSigner } from './webhook-signer.js';

/** How often a relay looks again for an earlier event of the same stream held elsewhere. */
const EARLIER_EVENT_POLL_MS = 250;
/**
 * Per-URL backoff: while a URL is failing, the oldest event held for it is tried again this soon
 * (doubling up to the max) as a probe, without spending an attempt of its own schedule; the
 * first success at that URL (a probe, or any event) releases every held event at once. A
 * receiver that comes back is caught up within seconds, not at the next scheduled retry.
 */
const PROBE_MIN_MS = 1000;
const PROBE_MAX_MS = 5000;

/**
 * A failure that says the receiver (not this event) is the problem: no answer at all (refused,
 * reset, timed out) or a gateway's "not there" (502, 503, 504). An event refused on its own
 * merits (400, 500 …) keeps its own schedule and does not hold the others.
 */
function receiverDown(outcome: { readonly status?: number }): boolean {
  return outcome.status === undefined || outcome.status === 502 || outcome.status === 503 || outcome.status === 504;
}

/** Why a held event stopped waiting. */
type Wake = 'time' | 'released' | 'probe' | 'closed';

interface Held {
  readonly order: number;
  readonly firstSeen: number;
  readonly wake: (why: Wake) => void;
}

/** What the dispatcher knows of one callback URL. */
interface UrlHealth {
  failing: boolean;
  readonly held: Set<Held>;
  probeMs: number;
  probe: NodeJS.Timeout | undefined;
}

export type EventType = 'realtime' | 'playback' | 'audio';
export type EventAction = 'join' | 'leave';

export interface WebhookEvent {
  /** Stable across redeliveries and retries: it becomes `webhook-id`. */
  readonly id: string;
  readonly type: EventType;
  readonly action: EventAction;
  /** Events with one key are delivered in `order`: the stream path, or the audio port. */
  readonly streamKey: string;
  readonly body: Readonly<Record<string, unknown>>;
}

export interface PendingEvent {
  readonly event: WebhookEvent;
  /** Position in the source (JetStream stream sequence); orders events of one stream. */
  readonly order: number;
  /** 1 on first delivery; more when the source redelivers after a crash. */
  readonly deliveryCount: number;
  ack(): Promise<void> | void;
  /** Tells the source the event is still being worked on (a retry is waiting). */
  keepAlive(): void;
  /** An earlier event of the same stream is held elsewhere (another relay): wait for it. */
  earlierElsewhere?(): Promise<boolean>;
}

export type CallbackUrls = Readonly<Record<EventType, Readonly<Record<EventAction, string>>>>;

export interface DeadLetter {
  readonly event: WebhookEvent;
  readonly url: string;
  readonly reason: string;
  readonly attempts: number;
}

export interface WebhookDispatcherOptions {
  readonly urls: CallbackUrls;
  readonly poster: Pick<CallbackPoster, 'post'>;
  readonly schedule: RetrySchedule;
  readonly signer?: WebhookSigner | undefined;
  readonly deadLetter: (letter: DeadLetter) => Promise<void>;
  readonly log: Logger;
  /** Streams delivered at once. */
  readonly concurrency?: number;
  /** How often a waiting retry tells the source it is still alive. */
  readonly keepAliveMs?: number;
  readonly now?: () => number;
  /** Observes outcomes (metrics). */
  readonly onOutcome?: (outcome: DispatchOutcome) => void;
}

export type DispatchOutcome =
  | { readonly kind: 'delivered'; readonly event: WebhookEvent; readonly attempts: number; readonly latencyMs: number; readonly duplicate: boolean }
  | { readonly kind: 'retried'; readonly event: WebhookEvent; readonly reason: string }
  | { readonly kind: 'dead-lettered'; readonly event: WebhookEvent; readonly reason: string }
  | { readonly kind: 'skipped'; readonly event: WebhookEvent; readonly reason: 'no-url' | 'url-disabled' };

interface StreamQueue {
  readonly items: PendingEvent[];
  running: boolean;
}

export class WebhookDispatcher {
  readonly #queues = new Map<string, StreamQueue>();
  readonly #ready: string[] = [];
  readonly #disabled = new Set<string>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #firstSeen = new Map<string, number>();
  readonly #health = new Map<string, UrlHealth>();
  /** Held events, woken with 'closed' by close(). */
  readonly #closers = new Set<Held>();
  #active = 0;
  #pumpScheduled = false;
  #closed = false;
  readonly #concurrency: number;
  readonly #keepAliveMs: number;
  readonly #now: () => number;

  constructor(private readonly opts: WebhookDispatcherOptions) {
    this.#concurrency = opts.concurrency ?? 32;
    this.#keepAliveMs = opts.keepAliveMs ?? 10_000;
    this.#now = opts.now ?? Date.now;
  }

  /** Events waiting or in flight, all streams. */
  get pending(): number {
    let n = 0;
    for (const q of this.#queues.values()) n += q.items.length;
    return n;
  }

  /** URLs disabled by a 410 since start. */
  get disabledUrls(): readonly string[] {
    return [...this.#disabled];
  }

  push(p: PendingEvent): void {
    if (this.#closed) return;
    const key = `${p.event.type}:${p.event.streamKey}`;
    let q = this.#queues.get(key);
    if (!q) {
      q = { items: [], running: false };
      this.#queues.set(key, q);
    }
    if (q.items.some((x) => x.event.id === p.event.id)) {
      // Redelivered while we still hold it (the source's ack deadline passed): keep ours.
      return;
    }
    // The queue is kept in source order when it is drained: a redelivered join that arrives
    // after its leave still goes first.
    q.items.push(p);
    if (!this.#firstSeen.has(p.event.id)) this.#firstSeen.set(p.event.id, this.#now());
    if (!q.running && !this.#ready.includes(key)) this.#ready.push(key);
    // Start on the next turn, so a batch the source hands over at once is ordered before any of
    // it is sent (redeliveries after a crash can arrive out of order within a batch).
    if (!this.#pumpScheduled) {
      this.#pumpScheduled = true;
      setImmediate(() => {
        this.#pumpScheduled = false;
        this.#pump();
      });
    }
  }

  #pump(): void {
    while (!this.#closed && this.#active < this.#concurrency && this.#ready.length > 0) {
      const key = this.#ready.shift()!;
      const q = this.#queues.get(key);
      if (!q || q.running || q.items.length === 0) continue;
      q.running = true;
      this.#active++;
      void this.#drain(key, q).finally(() => {
        this.#active--;
        q.running = false;
        if (q.items.length > 0) this.#ready.push(key);
        else this.#queues.delete(key);
        this.#pump();
      });
    }
  }

  async #drain(_key: string, q: StreamQueue): Promise<void> {
    while (!this.#closed && q.items.length > 0) {
      q.items.sort((a, b) => a.order - b.order);
      const head = q.items[0]!;
      const outcome = await this.#deliver(head, q);
      if (this.#closed) return;
      // Deferred: an earlier event of this stream arrived while the head waited; sort again.
      if (outcome !== 'deferred') q.items.splice(q.items.indexOf(head), 1);
    }
  }

  async #deliver(p: PendingEvent, q: StreamQueue): Promise<'done' | 'deferred' | undefined> {
    const { event } = p;
    const url = this.opts.urls[event.type][event.action];
    if (!url) {
      await p.ack();
      this.#forget(event);
      this.opts.onOutcome?.({ kind: 'skipped', event, reason: 'no-url' });
      return;
    }
    if (this.#disabled.has(url)) {
      await this.opts.deadLetter({ event, url, reason: 'url disabled by 410 Gone', attempts: 0 });
      await p.ack();
      this.#forget(event);
      this.opts.onOutcome?.({ kind: 'skipped', event, reason: 'url-disabled' });
      return;
    }
    // Join before leave across relays: an earlier event of this stream held by another relay
    // (or by one that died, until JetStream hands it out again) goes first.
    const earlierHere = () => q.items.some((x) => x.order < p.order);
    while (!earlierHere() && p.earlierElsewhere && (await p.earlierElsewhere().catch(() => false))) {
      if (!(await this.#wait(EARLIER_EVENT_POLL_MS, p))) return;
    }
    if (earlierHere()) return 'deferred';
    const body = JSON.stringify(event.body);
    const post = async (): Promise<PostOutcome> => {
      const headers = this.opts.signer ? { ...this.opts.signer.sign(event.id, this.#now() / 1000, body) } : { 'webhook-id': event.id };
      const outcome = await this.opts.poster.post(url, body, headers);
      if (outcome.kind === 'delivered') this.#urlSucceeded(url);
      else if (outcome.kind === 'retry' && receiverDown(outcome)) this.#urlFailed(url);
      return outcome;
    };
    // A redelivery after a crash continues the schedule where the last process left it.
    let attempt = Math.max(0, p.deliveryCount - 1);
    let retryAfterMs: number | undefined;
    let lastReason = 'no attempt';
    for (;;) {
      const delay = this.opts.schedule.delayBefore(attempt, retryAfterMs);
      if (delay === undefined) break;
      let outcome: PostOutcome | undefined;
      if (delay > 0) {
        // Held until its scheduled retry, unless the URL recovers first (or it is the probe).
        const retryAt = this.#now() + delay;
        for (;;) {
          const why = await this.#hold(url, retryAt, p);
          if (why === 'closed') return;
          if (why !== 'probe') break;
          // The probe does not spend an attempt: failing, it goes back to waiting for its turn.
          const probed = await post();
          if (this.#closed) return;
          if (probed.kind !== 'retry') {
            outcome = probed;
            break;
          }
        }
      }
      outcome ??= await post();
      if (this.#closed) return;
      attempt++;
      if (outcome.kind === 'delivered') {
        await p.ack();
        const latencyMs = this.#now() - (this.#firstSeen.get(event.id) ?? this.#now());
        this.#forget(event);
        this.opts.onOutcome?.({ kind: 'delivered', event, attempts: attempt, latencyMs, duplicate: p.deliveryCount > 1 });
        return;
      }
      if (outcome.kind === 'gone') {
        this.#disabled.add(url);
        this.opts.log.error({ url, eventId: event.id, type: event.type, action: event.action }, 'receiver answered 410 Gone: delivery to this URL is disabled until restart');
        await this.opts.deadLetter({ event, url, reason: '410 Gone', attempts: attempt });
        await p.ack();
        this.#forget(event);
        this.opts.onOutcome?.({ kind: 'dead-lettered', event, reason: '410 Gone' });
        return;
      }
      lastReason = outcome.reason;
      retryAfterMs = outcome.retryAfterMs;
      this.opts.onOutcome?.({ kind: 'retried', event, reason: outcome.reason });
      if (attempt === 1 || attempt % 3 === 0) {
        this.opts.log.warn({ url, eventId: event.id, attempt, reason: outcome.reason }, 'callback failed; will retry');
      }
    }
    this.opts.log.error({ url, eventId: event.id, attempts: attempt, reason: lastReason }, 'callback failed on every attempt: dead-lettered');
    await this.opts.deadLetter({ event, url, reason: lastReason, attempts: attempt });
    await p.ack();
    this.#forget(event);
    this.opts.onOutcome?.({ kind: 'dead-lettered', event, reason: lastReason });
  }

  /**
   * Holds an event for `url` until `retryAt` (its schedule), telling the source it is alive. It
   * wakes early when the URL recovers ('released': any delivery there succeeded) or when it is
   * the oldest held event and the URL's probe is due ('probe').
   */
  #hold(url: string, retryAt: number, p: PendingEvent): Promise<Wake> {
    const health = this.#healthOf(url);
    return new Promise<Wake>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const held: Held = {
        order: p.order,
        firstSeen: this.#firstSeen.get(p.event.id) ?? this.#now(),
        wake: (why) => {
          if (timer) {
            clearTimeout(timer);
            this.#timers.delete(timer);
          }
          health.held.delete(held);
          this.#closers.delete(held);
          resolve(why);
        },
      };
      const tick = () => {
        if (timer) this.#timers.delete(timer);
        const left = retryAt - this.#now();
        if (left <= 0) return held.wake('time');
        p.keepAlive();
        timer = setTimeout(tick, Math.min(left, this.#keepAliveMs));
        this.#timers.add(timer);
      };
      health.held.add(held);
      this.#closers.add(held);
      timer = setTimeout(tick, Math.min(Math.max(0, retryAt - this.#now()), this.#keepAliveMs));
      this.#timers.add(timer);
      if (health.failing) this.#scheduleProbe(url, health);
    });
  }

  #healthOf(url: string): UrlHealth {
    let h = this.#health.get(url);
    if (!h) {
      h = { failing: false, held: new Set(), probeMs: PROBE_MIN_MS, probe: undefined };
      this.#health.set(url, h);
    }
    return h;
  }

  #urlFailed(url: string): void {
    const h = this.#healthOf(url);
    if (h.failing) return;
    h.failing = true;
    h.probeMs = PROBE_MIN_MS;
  }

  /** A delivery to `url` succeeded: every event held for it goes now, oldest first. */
  #urlSucceeded(url: string): void {
    const h = this.#health.get(url);
    if (!h) return;
    const wasFailing = h.failing;
    h.failing = false;
    h.probeMs = PROBE_MIN_MS;
    clearTimeout(h.probe);
    h.probe = undefined;
    if (!wasFailing || h.held.size === 0) return;
    const held = [...h.held].sort((a, b) => a.firstSeen - b.firstSeen || a.order - b.order);
    this.opts.log.info({ url, released: held.length }, 'receiver is back: releasing the events held for it');
    for (const e of held) e.wake('released');
  }

  /** While `url` fails and events are held for it, the oldest is tried again on a short, growing period. */
  #scheduleProbe(url: string, h: UrlHealth): void {
    if (h.probe || this.#closed) return;
    h.probe = setTimeout(() => {
      h.probe = undefined;
      if (!h.failing || h.held.size === 0 || this.#closed) return;
      let oldest: Held | undefined;
      for (const e of h.held) if (!oldest || e.firstSeen < oldest.firstSeen || (e.firstSeen === oldest.firstSeen && e.order < oldest.order)) oldest = e;
      h.probeMs = Math.min(h.probeMs * 2, PROBE_MAX_MS);
      oldest!.wake('probe');
      // The next probe: still failing after this one, and events still held.
      this.#scheduleProbe(url, h);
    }, h.probeMs);
    h.probe.unref?.();
  }

  /** Waits `ms`, telling the source the event is alive; false when closed meanwhile. */
  #wait(ms: number, p: PendingEvent): Promise<boolean> {
    return new Promise((resolve) => {
      const started = this.#now();
      const tick = () => {
        this.#timers.delete(timer);
        if (this.#closed) return resolve(false);
        const left = ms - (this.#now() - started);
        if (left <= 0) return resolve(true);
        p.keepAlive();
        timer = setTimeout(tick, Math.min(left, this.#keepAliveMs));
        this.#timers.add(timer);
      };
      let timer = setTimeout(tick, Math.min(ms, this.#keepAliveMs));
      this.#timers.add(timer);
    });
  }

  #forget(event: WebhookEvent): void {
    this.#firstSeen.delete(event.id);
  }

  /** Stops delivering; events not acknowledged are redelivered by the source later. */
  close(): void {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const h of this.#health.values()) clearTimeout(h.probe);
    for (const held of [...this.#closers]) held.wake('closed');
  }
}
