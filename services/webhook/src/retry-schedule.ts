/**
 * When to try a failed delivery again. The default follows Svix's published schedule
 * (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), so a receiver that is down for a
 * deploy or a night still gets every event. A receiver's Retry-After, when longer, wins.
 */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [
  0, 5_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 5 * 3_600_000, 10 * 3_600_000, 10 * 3_600_000,
];

/** Cap on a receiver-supplied Retry-After, so one header cannot park an event for days. */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

export class RetrySchedule {
  constructor(readonly delaysMs: readonly number[] = DEFAULT_RETRY_SCHEDULE_MS) {
    if (delaysMs.length === 0) throw new RangeError('a retry schedule needs at least one attempt');
  }

  /** Attempts in all (the first one included). */
  get attempts(): number {
    return this.delaysMs.length;
  }

  /**
   * Delay before attempt number `attempt` (0-based; attempt 0 is the first try), or undefined
   * when no attempt is left.
   */
  delayBefore(attempt: number, retryAfterMs?: number): number | undefined {
    const planned = this.delaysMs[attempt];
    if (planned === undefined) return undefined;
    if (retryAfterMs === undefined) return planned;
    return Math.max(planned, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
  }
}

/** Parses Retry-After (RFC 9110 §10.2.3): delta-seconds or an HTTP-date. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
