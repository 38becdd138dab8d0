/**
 * A byte budget for unfinished frames, shared by whatever assemblers charge it: one per
 * connection, and one for the whole pod. A frame that is still being reassembled holds its
 * subpackages; without a budget a device opening many SIM/channels with huge unfinished frames
 * (each under MAX_FRAME_BYTES) could make a pod hold gigabytes. Over the limit the OLDEST open
 * frames are evicted first: the newest frame is the one most likely to complete.
 */

/** An open frame as a budget sees it: what it holds so far, and how its owner drops it. */
export interface BudgetedFrame {
  /** Bytes charged so far; the owner keeps this equal to what it charged. */
  readonly held: number;
  /** Drops the frame; must call release() on every budget holding it. */
  evict(): void;
}

export class FrameBudget {
  /** Insertion order is age: the first entry is the oldest open frame. */
  readonly #open = new Set<BudgetedFrame>();
  #used = 0;
  evictions = 0;

  constructor(readonly limitBytes: number) {}

  get usedBytes(): number {
    return this.#used;
  }

  get openFrames(): number {
    return this.#open.size;
  }

  /** `frame.held` has just grown by `bytes`: account for it, evicting the oldest frames while over the limit. */
  charge(frame: BudgetedFrame, bytes: number): void {
    this.#open.add(frame);
    this.#used += bytes;
    if (this.#used <= this.limitBytes) return;
    for (const oldest of this.#open) {
      if (this.#used <= this.limitBytes) break;
      this.evictions++;
      oldest.evict();
      // An owner that did not release would loop forever on the same entry: release for it.
      this.release(oldest);
    }
  }

  /** The frame completed or was dropped: its bytes are free. Safe to call more than once. */
  release(frame: BudgetedFrame): void {
    if (this.#open.delete(frame)) this.#used -= frame.held;
  }
}
