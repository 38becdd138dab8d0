/**
 * The recent window of every stream a pod publishes, kept by that pod (DESIGN.md "NATS": media
 * never passes through JetStream, whose one stream leader would see every frame of the cluster).
 * A packager that starts late or restarts asks the owning pod for it (`<root>.replay.…`) and
 * rebuilds its playlist window from it at once.
 *
 * A window begins at a segment mark (the ingest's `Jt1078-Segment`), because a packager can only
 * start a playlist there: whole segments are dropped from its front once the rest still covers
 * `keepMs`, or when the stream's bytes pass `maxStreamBytes`, or when the pod's bytes pass
 * `maxPodBytes` (then the stream being written gives up its oldest segment first, else the next
 * stream in turn that has one to spare). A stream without marks (talk audio) is trimmed frame by
 * frame by the same limits. A window that has received nothing for `keepMs` is forgotten.
 *
 * Pure and generic over what is kept (the NATS bus keeps the encoded messages it sent, so a
 * replay costs no encoding; the in-process bus keeps envelopes): tested without a server.
 */

export interface ReplayWindowOptions {
  /** Time the window covers, from its first segment mark to its newest frame. */
  readonly keepMs: number;
  /** Bytes one stream's window may hold. */
  readonly maxStreamBytes: number;
  /** Bytes all windows of this pod may hold together. */
  readonly maxPodBytes: number;
  readonly now?: () => number;
  /** A stream's window was created (the NATS bus starts answering replay requests for it). */
  readonly onOpen?: (key: string) => void;
  /** A stream's window was forgotten (nothing received for keepMs). */
  readonly onClose?: (key: string) => void;
}

export interface ReplayItem<T> {
  readonly value: T;
  readonly bytes: number;
  /** The item opens a segment (a packager can start here). */
  readonly mark: boolean;
}

/**
 * One stream's items as parallel arrays (value, size, arrival time), not an object per item: a
 * window holds ~16 s of every stream's frames in the old generation, and every object there is
 * one more for each major GC to mark.
 */
interface StreamWindow<T> {
  readonly values: T[];
  readonly sizes: number[];
  readonly times: number[];
  /** Index of the first live item (items before it are trimmed; compacted now and then). */
  head: number;
  bytes: number;
  /** Positions (in `values`) of the marks at or after `head`, oldest first. */
  readonly markAt: number[];
  lastAt: number;
}

/** Trimmed entries are compacted away once this many have piled up at the front. */
const COMPACT_AFTER = 256;
/** Streams looked at for a segment to spare when the pod is over its bytes (bounded work per frame). */
const POD_TRIM_TRIES = 8;

export class ReplayWindows<T> {
  readonly #windows = new Map<string, StreamWindow<T>>();
  readonly #now: () => number;
  #bytes = 0;
  #podCursor: Iterator<[string, StreamWindow<T>]> | undefined;
  /** Segments (or unmarked frames) dropped because the pod was over maxPodBytes. */
  trimmedForPod = 0;
  /** Segments dropped because a stream was over maxStreamBytes. */
  trimmedForStream = 0;

  constructor(private readonly opts: ReplayWindowOptions) {
    this.#now = opts.now ?? Date.now;
  }

  /** Bytes held by every window. */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#windows.size;
  }

  has(key: string): boolean {
    return this.#windows.has(key);
  }

  record(key: string, item: ReplayItem<T>): void {
    const now = this.#now();
    let w = this.#windows.get(key);
    if (!w) {
      w = { values: [], sizes: [], times: [], head: 0, bytes: 0, markAt: [], lastAt: now };
      this.#windows.set(key, w);
      this.opts.onOpen?.(key);
    }
    // Frames before a stream's first mark cannot start a playlist: once a mark exists they go.
    if (item.mark && w.markAt.length === 0 && w.head < w.values.length) this.#dropFront(w, w.values.length - w.head);
    w.values.push(item.value);
    w.sizes.push(item.bytes);
    w.times.push(now);
    w.bytes += item.bytes;
    this.#bytes += item.bytes;
    if (item.mark) w.markAt.push(w.values.length - 1);
    w.lastAt = now;
    this.#trim(w, now);
    if (this.#bytes > this.opts.maxPodBytes) this.#trimPod(w);
  }

  /** The window of one stream, oldest first, from its first segment mark (or every item of an unmarked stream). */
  read(key: string): T[] {
    const w = this.#windows.get(key);
    if (!w) return [];
    const out: T[] = [];
    for (let i = w.head; i < w.values.length; i++) out.push(w.values[i]!);
    return out;
  }

  /** Forgets windows that received nothing for keepMs. */
  sweep(now = this.#now()): void {
    for (const [key, w] of this.#windows) {
      if (now - w.lastAt <= this.opts.keepMs) continue;
      this.#bytes -= w.bytes;
      this.#windows.delete(key);
      this.opts.onClose?.(key);
    }
  }

  clear(): void {
    for (const key of [...this.#windows.keys()]) {
      this.#windows.delete(key);
      this.opts.onClose?.(key);
    }
    this.#bytes = 0;
  }

  #trim(w: StreamWindow<T>, now: number): void {
    if (w.markAt.length >= 2) {
      for (;;) {
        const second = w.markAt[1];
        if (second === undefined) break;
        const overBytes = w.bytes > this.opts.maxStreamBytes;
        if (!overBytes && now - w.times[second]! < this.opts.keepMs) break;
        if (overBytes) this.trimmedForStream++;
        this.#dropFront(w, second - w.head);
      }
      return;
    }
    if (w.markAt.length === 0) {
      while (w.values.length - w.head > 1 && (w.bytes > this.opts.maxStreamBytes || now - w.times[w.head]! > this.opts.keepMs)) this.#dropFront(w, 1);
    }
  }

  #trimPod(current: StreamWindow<T>): void {
    if (this.#spareSegment(current)) return;
    for (let tries = 0; tries < POD_TRIM_TRIES && this.#bytes > this.opts.maxPodBytes; tries++) {
      this.#podCursor ??= this.#windows.entries();
      const next = this.#podCursor.next();
      if (next.done) {
        this.#podCursor = undefined;
        continue;
      }
      if (this.#spareSegment(next.value[1])) return;
    }
  }

  /** Drops the oldest segment of `w` if it has another one to start from (or an unmarked frame). */
  #spareSegment(w: StreamWindow<T>): boolean {
    if (w.markAt.length === 0) {
      if (w.values.length - w.head <= 1) return false;
      this.#dropFront(w, 1);
      this.trimmedForPod++;
      return true;
    }
    const second = w.markAt[1];
    if (second === undefined) return false;
    this.#dropFront(w, second - w.head);
    this.trimmedForPod++;
    return true;
  }

  #dropFront(w: StreamWindow<T>, n: number): void {
    for (let i = 0; i < n; i++) {
      const at = w.head++;
      const size = w.sizes[at]!;
      w.bytes -= size;
      this.#bytes -= size;
      // The value is let go at once (it may hold a batch other frames no longer need).
      (w.values as Array<T | undefined>)[at] = undefined;
      if (w.markAt[0] === at) w.markAt.shift();
    }
    if (w.head >= COMPACT_AFTER) {
      w.values.splice(0, w.head);
      w.sizes.splice(0, w.head);
      w.times.splice(0, w.head);
      for (let i = 0; i < w.markAt.length; i++) w.markAt[i] = w.markAt[i]! - w.head;
      w.head = 0;
    }
  }
}
