import { describe, expect, it } from 'vitest';
import { AudioSampleClock } from './audio-sample-clock.js';

describe('AudioSampleClock', () => {
  it('times bursty frames by their samples: five 25 ms frames under one stamp are 125 ms, not five steps', () => {
    const clock = new AudioSampleClock(1000);
    const stamps = [166, 299, 299, 299, ...Array.from({ length: 150 }, (_, i) => 425 + 127 * Math.floor(i / 5))];
    const times = stamps.map((t) => clock.next(t, 200, 8000));
    expect(times.slice(0, 6)).toEqual([0, 25, 50, 75, 100, 125]);
    expect(times[times.length - 1]).toBe((stamps.length - 1) * 25);
    expect(clock.resyncs).toBe(0);
  });

  it('jumps forward when the device clock says audio was lost, and follows a clock that restarts', () => {
    const clock = new AudioSampleClock(1000);
    expect([clock.next(0, 160, 8000), clock.next(20, 160, 8000), clock.next(3000, 160, 8000), clock.next(3020, 160, 8000)]).toEqual([0, 20, 3000, 3020]);
    expect(clock.resyncs).toBe(1);
    expect([clock.next(10_000, 160, 8000), clock.next(10_020, 160, 8000)]).toEqual([10_000, 10_020]);
    // The device clock starts again from 0: time carries on from the samples, and later gaps still count.
    expect([clock.next(0, 160, 8000), clock.next(20, 160, 8000), clock.next(3000, 160, 8000)]).toEqual([10_040, 10_060, 13_040]);
    expect(clock.resets).toBe(1);
    expect(clock.resyncs).toBe(3);
  });
});
