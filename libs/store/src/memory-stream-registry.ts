/** The in-process StreamRegistry for `jt1078 start` (one process: no races to settle). */
import type { StreamEntry, StreamOwner, StreamRegistry } from './stream-registry.js';

export class MemoryStreamRegistry implements StreamRegistry {
  readonly #entries = new Map<string, { entry: StreamEntry; deadline: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async claim(baseName: string, owner: StreamOwner, ttlMs: number): Promise<string> {
    const now = this.now();
    let name = baseName;
    for (let i = 0; this.#entries.has(name); i++) name = `${baseName}-${now + i}`;
    this.#entries.set(name, { entry: { ...owner, name }, deadline: now + ttlMs });
    return name;
  }

  async renew(name: string, owner: StreamOwner, ttlMs: number): Promise<boolean> {
    const e = this.#entries.get(name);
    if (e && e.entry.connectionId !== owner.connectionId) return false;
    this.#entries.set(name, { entry: { ...owner, name }, deadline: this.now() + ttlMs });
    return true;
  }

  async release(name: string, connectionId: string): Promise<void> {
    if (this.#entries.get(name)?.entry.connectionId === connectionId) this.#entries.delete(name);
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
