/**
 * What a viewer joining now must receive before live data: everything since the last key frame
 * (a group of pictures), so its first picture decodes at once. Bounded in bytes: a stream whose
 * GOP outgrows the bound (a device sending no key frames) is dropped from the cache, counted, and
 * new viewers wait for the next key frame instead.
 */

/** 8 MiB: a 10 s GOP at 6 Mbit/s; JT1078 devices send 1–4 s GOPs at ≤ 2 Mbit/s. */
export const DEFAULT_GOP_CACHE_BYTES = 8 * 1024 * 1024;

export class GopCache<T> {
  #items: T[] = [];
  #bytes = 0;
  #open = false;
  /** GOPs that outgrew the bound and were dropped. */
  overflows = 0;

  constructor(
    readonly maxBytes = DEFAULT_GOP_CACHE_BYTES,
    /** An item's size in bytes. */
    private readonly sizeOf: (item: T) => number,
  ) {}

  /** Adds an item; a key frame starts a new GOP. */
  push(item: T, keyFrame: boolean): void {
    if (keyFrame) {
      this.#items = [];
      this.#bytes = 0;
      this.#open = true;
    }
    if (!this.#open) return;
    const size = this.sizeOf(item);
    if (this.#bytes + size > this.maxBytes) {
      this.#items = [];
      this.#bytes = 0;
      this.#open = false;
      this.overflows++;
      return;
    }
    this.#items.push(item);
    this.#bytes += size;
  }

  /** Whether a viewer can start from the cache (a key frame is in it). */
  get ready(): boolean {
    return this.#open && this.#items.length > 0;
  }

  get bytes(): number {
    return this.#bytes;
  }

  items(): readonly T[] {
    return this.#items;
  }

  clear(): void {
    this.#items = [];
    this.#bytes = 0;
    this.#open = false;
  }
}
