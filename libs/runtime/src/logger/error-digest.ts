/**
 * Logs a burst of similar errors as one line per interval ("N decode errors, last was …"), so
 * one noisy device cannot flood the log (mediamtx's errordumper). The first occurrence of each
 * key is logged at once with its context; repeats are summarised.
 */
import type { Logger } from 'pino';

interface Pending {
  count: number;
  last: Record<string, unknown>;
  message: string;
}

export class ErrorDigest {
  readonly #pending = new Map<string, Pending>();
  readonly #seen = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 1000,
  ) {}

  /** Records one error of `key` (e.g. "garbage:<connection>"); logs now or in the next summary. */
  report(key: string, message: string, context: Record<string, unknown> = {}): void {
    if (!this.#seen.has(key)) {
      // Bounded: keys are per stream and per kind; forget them all once the set grows large.
      if (this.#seen.size > 10_000) this.#seen.clear();
      this.#seen.add(key);
      this.log.warn(context, message);
      return;
    }
    const p = this.#pending.get(key);
    if (p) {
      p.count++;
      p.last = context;
    } else {
      this.#pending.set(key, { count: 1, last: context, message });
    }
    this.#timer ??= setTimeout(() => this.flush(), this.intervalMs).unref();
  }

  flush(): void {
    this.#timer = undefined;
    for (const [key, p] of this.#pending) {
      this.log.warn({ ...p.last, key, repeats: p.count }, `${p.count} more: ${p.message}`);
    }
    this.#pending.clear();
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.flush();
  }
}
