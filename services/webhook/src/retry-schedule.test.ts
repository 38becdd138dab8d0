import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_SCHEDULE_MS, MAX_RETRY_AFTER_MS, RetrySchedule, parseRetryAfter } from './retry-schedule.js';

describe('RetrySchedule', () => {
  it('follows the Svix-like default and ends', () => {
    const s = new RetrySchedule();
    expect(s.attempts).toBe(DEFAULT_RETRY_SCHEDULE_MS.length);
    expect(s.delayBefore(0)).toBe(0);
    expect(s.delayBefore(1)).toBe(5_000);
    expect(s.delayBefore(2)).toBe(300_000);
    expect(s.delayBefore(s.attempts)).toBeUndefined();
  });

  it('lets a longer Retry-After win, capped', () => {
    const s = new RetrySchedule([0, 1000, 2000]);
    expect(s.delayBefore(1, 10_000)).toBe(10_000);
    expect(s.delayBefore(2, 500)).toBe(2000);
    expect(s.delayBefore(1, 10 * MAX_RETRY_AFTER_MS)).toBe(MAX_RETRY_AFTER_MS);
  });

  it('parses both Retry-After forms', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
