/**
 * Joins a replay of the retained window to a live subscription without a gap or a duplicate.
 *
 * The NATS bus subscribes to the live subject first, then asks the owning pod for its window
 * (`<root>.replay.…`). While the replay arrives, live frames are held here; window frames are
 * delivered and the last sequence per stream (connection id + stream path: a sequence restarts
 * with each connection) is noted. When the replay is done, held frames the window already
 * delivered are dropped and the rest go out in arrival order. A live frame can also reach us
 * after the replay ended yet still be one the window gave (the owner wrote its window before its
 * outbox reached the server), so dropping by sequence continues per stream until the first live
 * frame past the window's last one.
 *
 * Pure: no NATS here, so the seam is tested frame by frame.
 */
import type { FrameEnvelope } from './frame-envelope.js';

/** Live frames held while the window is read; beyond this the oldest are dropped and counted (a window read that stalls must not grow memory without bound). */
export const MAX_HELD_FRAMES = 10_000;

export class WindowSeam {
  #held: FrameEnvelope[] | undefined = [];
  readonly #lastFromWindow = new Map<string, number>();
  /** Live frames dropped because the window had delivered them. */
  duplicates = 0;
  /** Live frames lost because the hold overflowed. */
  overflowed = 0;

  constructor(
    private readonly deliver: (frame: FrameEnvelope) => void,
    private readonly counters: { onDuplicate?: () => void; onOverflow?: () => void } = {},
  ) {}

  get replaying(): boolean {
    return this.#held !== undefined;
  }

  /** A frame from the window (in stream order). */
  fromWindow(f: FrameEnvelope): void {
    this.#lastFromWindow.set(streamOf(f), f.sequence);
    this.deliver(f);
  }

  /** A frame from the live subscription. */
  live(f: FrameEnvelope): void {
    if (this.#held) {
      if (this.#held.length >= MAX_HELD_FRAMES) {
        this.#held.shift();
        this.overflowed++;
        this.counters.onOverflow?.();
      }
      this.#held.push(f);
      return;
    }
    this.#pass(f);
  }

  /**
   * True while some stream's first held live frame is past the window's last frame plus one:
   * the window has not caught up with what was published before the live subscription began,
   * and the reader should keep reading it.
   */
  gapAtSeam(): boolean {
    const firstHeld = new Map<string, number>();
    for (const f of this.#held ?? []) {
      const key = streamOf(f);
      if (!firstHeld.has(key)) firstHeld.set(key, f.sequence);
    }
    for (const [key, first] of firstHeld) {
      const last = this.#lastFromWindow.get(key);
      if (last !== undefined && first > last + 1) return true;
    }
    return false;
  }

  /** The window is done: held frames follow, minus those it already gave. */
  finish(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const f of held) this.#pass(f);
  }

  #pass(f: FrameEnvelope): void {
    if (this.#lastFromWindow.size > 0) {
      const key = streamOf(f);
      const last = this.#lastFromWindow.get(key);
      if (last !== undefined) {
        if (f.sequence <= last) {
          this.duplicates++;
          this.counters.onDuplicate?.();
          return;
        }
        this.#lastFromWindow.delete(key);
      }
    }
    this.deliver(f);
  }
}

function streamOf(f: FrameEnvelope): string {
  return `${f.connectionId}\n${f.streamPath}`;
}
