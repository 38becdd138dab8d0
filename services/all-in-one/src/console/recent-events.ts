/**
 * The console's memory of join/leave events: the last `capacity`, each id once. The bus tap it
 * is fed from is at least once (media-bus.ts `watchEvents`), so a re-sent event is recognised
 * here and not shown twice.
 */
import type { EventEnvelope } from '@jt1078/bus';

/** Enough for a screen of history on a busy cluster; a browser re-reads them on every (re)connect. */
export const DEFAULT_RECENT_EVENTS = 200;

export class RecentEvents {
  /** Oldest first; a Map keeps insertion order and finds duplicates by id. */
  readonly #byId = new Map<string, EventEnvelope>();

  constructor(readonly capacity = DEFAULT_RECENT_EVENTS) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  /** Keeps `event`; false when its id is already kept (a duplicate). */
  add(event: EventEnvelope): boolean {
    if (this.#byId.has(event.id)) return false;
    this.#byId.set(event.id, event);
    if (this.#byId.size > this.capacity) this.#byId.delete(this.#byId.keys().next().value!);
    return true;
  }

  get size(): number {
    return this.#byId.size;
  }

  /**
   * Oldest first, what came after `lastId` (a reconnecting client's Last-Event-ID); everything
   * kept when that id is unknown (it fell out, or the client never had one).
   */
  after(lastId?: string): EventEnvelope[] {
    const all = [...this.#byId.values()];
    if (lastId === undefined || !this.#byId.has(lastId)) return all;
    return all.slice(all.findIndex((e) => e.id === lastId) + 1);
  }
}
