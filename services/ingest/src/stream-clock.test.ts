import { describe, expect, it } from 'vitest';
import { StreamClock } from './stream-clock.js';

describe('StreamClock', () => {
  it('times realtime streams by arrival, monotonic per track', () => {
    const clock = new StreamClock('arrival', 1000);
    expect(clock.stamp('video', 999_999, 1000)).toBe(0);
    expect(clock.stamp('video', 5, 1040.4)).toBe(40);
    expect(clock.stamp('video', 5, 1040.2)).toBe(41);
    expect(clock.stamp('audio', 5, 1040.2)).toBe(40);
  });

  it('times playback by the device and never goes back', () => {
    const clock = new StreamClock('device', 0);
    expect([5000, 5040, 5040, 5000, 5120].map((ts) => clock.stamp('video', ts, 0))).toEqual([0, 40, 41, 42, 120]);
    expect(clock.corrections).toBe(2);
  });

  it('takes playback stamps of 2^53 ms and more exactly (bigints), where doubles would merge them', () => {
    const clock = new StreamClock('device', 0);
    const base = 2n ** 60n;
    expect([base, base + 40n, base + 80n].map((ts) => clock.stamp('video', ts, 0))).toEqual([0, 40, 80]);
    expect(clock.corrections).toBe(0);
  });
});
