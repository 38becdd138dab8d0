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

export interface TalkRegistry {
  /** Registers a talk that has just sent its join; it expires `ttlMs` from now unless renewed. */
  open(entry: TalkEntry, ttlMs: number): Promise<void>;
  /** Pushes the deadline back; false when the entry is gone (a reaper took it). */
  renew(connectionId: string, ttlMs: number): Promise<boolean>;
  /** The talk ended here: removes it; false when it was already gone (reaped: its leave was sent by the reaper). */
  finish(connectionId: string): Promise<boolean>;
  /** Removes and returns every talk whose deadline has passed; each is returned to one caller only. */
  reapExpired(): Promise<TalkEntry[]>;
  close(): Promise<void>;
}

/** The in-process registry (`jt1078 start` without Redis: one process, the same behaviour). */
export class MemoryTalkRegistry implements TalkRegistry {
  readonly #talks = new Map<string, { entry: TalkEntry; deadline: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async open(entry: TalkEntry, ttlMs: number): Promise<void> {
    this.#talks.set(entry.connectionId, { entry, deadline: this.now() + ttlMs });
  }

  async renew(connectionId: string, ttlMs: number): Promise<boolean> {
    const t = this.#talks.get(connectionId);
    if (t) t.deadline = this.now() + ttlMs;
    return t !== undefined;
  }

  async finish(connectionId: string): Promise<boolean> {
    return this.#talks.delete(connectionId);
  }

  async reapExpired(): Promise<TalkEntry[]> {
    const now = this.now();
    const out: TalkEntry[] = [];
    for (const [id, t] of this.#talks) {
      if (t.deadline > now) continue;
      this.#talks.delete(id);
      out.push(t.entry);
    }
    return out;
  }

  async close(): Promise<void> {}
}
