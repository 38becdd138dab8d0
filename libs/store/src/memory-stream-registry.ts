/** The in-process StreamRegistry for `jt1078 start` (one process: no races to settle). */
import type { SegmentCursor } from '@jt1078/numbering';
import { CURSOR_TTL_MS, type NameClaim, type StreamEntry, type StreamOwner, type StreamRegistry } from './stream-registry.js';

export class MemoryStreamRegistry implements StreamRegistry {
  readonly #entries = new Map<string, { entry: StreamEntry; deadline: number }>();
  readonly #cursors = new Map<string, { cursor: SegmentCursor; until: number }>();
  readonly #podsAlive = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async claim(baseName: string, owner: StreamOwner, ttlMs: number): Promise<string> {
    const now = this.now();
    let name = baseName;
    for (let i = 0; this.#entries.has(name); i++) name = `${baseName}-${now + i}`;
    this.#entries.set(name, { entry: { ...owner, name }, deadline: now + ttlMs });
    return name;
  }

  async claimName(baseName: string, owner: StreamOwner, ttlMs: number, opts: { readonly wait?: boolean } = {}): Promise<NameClaim> {
    const now = this.now();
    const held = this.#entries.get(baseName)?.entry;
    if (held && held.pod !== owner.pod && (this.#podsAlive.get(held.pod) ?? 0) <= now) {
      this.#entries.set(baseName, { entry: { ...owner, name: baseName }, deadline: now + ttlMs });
      return { name: baseName, takenOver: held };
    }
    if (held && opts.wait && held.pod !== owner.pod) return { name: undefined, heldBy: held.pod };
    return { name: await this.claim(baseName, owner, ttlMs), ...(held ? { heldBy: held.pod } : {}) };
  }

  async markPodAlive(pod: string, ttlMs: number): Promise<void> {
    this.#podsAlive.set(pod, this.now() + ttlMs);
  }

  async saveCursor(name: string, cursor: SegmentCursor): Promise<void> {
    this.#cursors.set(name, { cursor, until: this.now() + CURSOR_TTL_MS });
  }

  async renew(name: string, owner: StreamOwner, ttlMs: number): Promise<boolean> {
    const e = this.#entries.get(name);
    if (e && e.entry.connectionId !== owner.connectionId) return false;
    this.#entries.set(name, { entry: { ...owner, name }, deadline: this.now() + ttlMs });
    return true;
  }

  async release(name: string, connectionId: string, cursor?: SegmentCursor): Promise<void> {
    if (this.#entries.get(name)?.entry.connectionId !== connectionId) return;
    this.#entries.delete(name);
    const now = this.now();
    for (const [n, c] of this.#cursors) if (c.until <= now) this.#cursors.delete(n);
    if (cursor) this.#cursors.set(name, { cursor, until: now + CURSOR_TTL_MS });
  }

  async takeCursor(name: string): Promise<SegmentCursor | undefined> {
    const c = this.#cursors.get(name);
    this.#cursors.delete(name);
    return c && c.until > this.now() ? c.cursor : undefined;
  }

  async list(): Promise<StreamEntry[]> {
    return [...this.#entries.values()].map((e) => e.entry);
  }

  async reapExpired(nowMs = this.now()): Promise<StreamEntry[]> {
    const out: StreamEntry[] = [];
    for (const [name, e] of this.#entries) {
      if (e.deadline <= nowMs) {
        this.#entries.delete(name);
        out.push(e.entry);
      }
    }
    return out;
  }

  async close(): Promise<void> {}
}
