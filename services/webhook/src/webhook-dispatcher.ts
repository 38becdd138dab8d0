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
import { UrlBackoff, receiverDown } from './url-backoff.js';
import type { WebhookSigner } from './webhook-signer.js';

/** How often a relay looks again for an earlier event of the same stream held elsewhere. */
const EARLIER_EVENT_POLL_MS = 250;
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
  | { readonly kind: 'skipped'; readonly event: WebhookEvent; readonly reason: 'no-url' | 'url-disabled' }
  /** Its ack or dead letter failed: the source keeps it and hands it out again. */
  | { readonly kind: 'unsettled'; readonly event: WebhookEvent; readonly reason: string };

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
  readonly #backoff: UrlBackoff;
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
    this.#backoff = new UrlBackoff({ log: opts.log, keepAliveMs: this.#keepAliveMs, now: this.#now });
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

  /** Never rejects: whatever #deliver throws leaves the queue through #unsettled. */
  async #drain(_key: string, q: StreamQueue): Promise<void> {
    while (!this.#closed && q.items.length > 0) {
      q.items.sort((a, b) => a.order - b.order);
      const head = q.items[0]!;
      let outcome: 'done' | 'deferred' | undefined;
      try {
        outcome = await this.#deliver(head, q);
      } catch (err) {
        outcome = this.#unsettled(head, err);
      }
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
      if (outcome.kind === 'delivered') this.#backoff.succeeded(url);
      else if (outcome.kind === 'retry' && receiverDown(outcome)) this.#backoff.failed(url);
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
          const why = await this.#backoff.hold(url, retryAt, { order: p.order, firstSeen: this.#firstSeen.get(event.id) ?? this.#now(), keepAlive: () => p.keepAlive() });
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

  /**
   * The source could not be told how an event ended (its ack or the dead letter failed: JetStream
   * unavailable, or the stream gone). The event stays unacknowledged in the source, which hands it
   * out again (a callback already posted goes again: at-least-once, the receiver dedupes on
   * webhook-id); here it leaves the queue so the stream's later events go on, and the process
   * never dies of it.
   */
  #unsettled(p: PendingEvent, err: unknown): undefined {
    this.#forget(p.event);
    this.opts.log.warn({ err, eventId: p.event.id, type: p.event.type, action: p.event.action, stream: p.event.streamKey }, 'event not settled with the source; it will be handed out again');
    this.opts.onOutcome?.({ kind: 'unsettled', event: p.event, reason: (err as Error)?.message ?? String(err) });
    return undefined;
  }

  #forget(event: WebhookEvent): void {
    this.#firstSeen.delete(event.id);
  }

  /** Stops delivering; events not acknowledged are redelivered by the source later. */
  close(): void {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#backoff.close();
  }
}
