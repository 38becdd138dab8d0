/**
 * Gives memory back once a burst of it is no longer needed. Buffers a peer made us hold (socket
 * reads pinned by unfinished frames) live outside the V8 heap: dropping the last reference frees
 * nothing until a garbage collection runs, and a quiet process may not collect for minutes, so
 * a pod that was made to hold hundreds of MB keeps them after the peers are gone. A caller that
 * has just released a lot says so; one full collection follows shortly (debounced), which frees
 * the buffers and lets the allocator return their pages.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Released bytes that make a collection worth its pause (a full GC of a big heap is tens of ms). */
export const RELEASE_THRESHOLD_BYTES = 32 * 1024 * 1024;
/** Releases within this window of each other are gathered into one collection. */
const DEBOUNCE_MS = 200;
/** At most one collection this often: a pod under a steady churn must not collect in a loop. */
const MIN_INTERVAL_MS = 2_000;

let collect: (() => void) | undefined;

function collector(): () => void {
  if (!collect) {
    // `gc` exists only with --expose-gc; setting the flag at run time and reading it from a fresh
    // context is the documented way to get it without changing how the process is started.
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  return collect;
}

export class MemoryRelease {
  #pending = 0;
  #timer: NodeJS.Timeout | undefined;
  #last = -Infinity;
  collections = 0;

  /** `bytes` were just let go of; past the threshold a collection is scheduled. */
  released(bytes: number): void {
    this.#pending += bytes;
    if (this.#pending < RELEASE_THRESHOLD_BYTES) return;
    // Trailing: connections closing together (a peer's several sockets) make one collection.
    clearTimeout(this.#timer);
    const wait = Math.max(DEBOUNCE_MS, this.#last + MIN_INTERVAL_MS - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#pending = 0;
      this.#last = performance.now();
      this.collections++;
      collector()();
    }, wait);
    this.#timer.unref();
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
