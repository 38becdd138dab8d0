/**
 * Talks in progress, with a deadline each, so that a talk whose intercom pod died still gets its
 * audio leave event. The pod holding a device renews its talk's deadline with its lease (every
 * second); a pod that stops renewing (killed, partitioned) leaves the entry to expire, and any
 * intercom's reaper takes it — exactly one of them, as the stream registry's reaper does for
 * streams — and emits the leave from the join body kept here.
 */

export interface TalkEntry {
  /** The talk's connection id (its events' ids are built from it). */
  readonly connectionId: string;
  readonly port: number;
  /** The pod that holds the device. */
  readonly pod: string;
  /** The audio join body as it was sent; the leave is it plus endTime and err. */
  readonly joinBody: Readonly<Record<string, unknown>>;
}

/**
 * What the store knows of a talk: `held` (present), `reaped` (a reaper took it and sent its
 * leave), `missing` (neither: the store lost it, e.g. a Redis that restarted empty).
 */
export type TalkState = 'held' | 'reaped' | 'missing';

/** How long the store remembers that a talk was reaped, so its pod, back from a partition, sends no second leave. */
export const REAPED_MEMORY_MS = 10 * 60_000;

export interface TalkRegistry {
  /** Registers a talk that has just sent its join; it expires `ttlMs` from now unless renewed. */
  open(entry: TalkEntry, ttlMs: number): Promise<void>;
  /** Pushes the deadline back when the talk is held; says what the store knows otherwise. */
  renew(connectionId: string, ttlMs: number): Promise<TalkState>;
  /** The talk ended here: removes it. `reaped`: its leave was already sent by a reaper. */
  finish(connectionId: string): Promise<TalkState>;
  /** Removes and returns every talk whose deadline has passed; each is returned to one caller only. */
  reapExpired(): Promise<TalkEntry[]>;
  close(): Promise<void>;
}

/** The in-process registry (`jt1078 start` without Redis: one process, the same behaviour). */
export class MemoryTalkRegistry implements TalkRegistry {
  readonly #talks = new Map<string, { entry: TalkEntry; deadline: number }>();
  readonly #reaped = new Set<string>();

  constructor(private readonly now: () => number = Date.now) {}

  async open(entry: TalkEntry, ttlMs: number): Promise<void> {
    this.#talks.set(entry.connectionId, { entry, deadline: this.now() + ttlMs });
  }

  async renew(connectionId: string, ttlMs: number): Promise<TalkState> {
    const t = this.#talks.get(connectionId);
    if (t) t.deadline = this.now() + ttlMs;
    return t ? 'held' : this.#reaped.has(connectionId) ? 'reaped' : 'missing';
  }

  async finish(connectionId: string): Promise<TalkState> {
    if (this.#talks.delete(connectionId)) return 'held';
    return this.#reaped.delete(connectionId) ? 'reaped' : 'missing';
  }

  async reapExpired(): Promise<TalkEntry[]> {
    const now = this.now();
    const out: TalkEntry[] = [];
    for (const [id, t] of this.#talks) {
      if (t.deadline > now) continue;
      this.#talks.delete(id);
      this.#reaped.add(id);
      out.push(t.entry);
    }
    return out;
  }

  async close(): Promise<void> {}
}
