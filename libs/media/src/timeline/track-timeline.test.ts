import { describe, expect, it } from 'vitest';
import { TrackTimeline } from './track-timeline.js';

const ms = (t: TrackTimeline, input: number[]) => input.map((v) => t.next(v) / 90);

describe('TrackTimeline', () => {
  it('follows a steady device clock from zero', () => {
    expect(ms(new TrackTimeline(90), [5000, 5040, 5080, 5120])).toEqual([0, 40, 80, 120]);
  });

  it('fills stalls with the typical step and catches up at the next good stamp', () => {
    const t = new TrackTimeline(90);
    expect(ms(t, [0, 40, 80, 80, 160, 200])).toEqual([0, 40, 80, 120, 160, 200]);
    expect(t.stats.stalls).toBe(1);
  });

  it('treats a lone stamp behind as an outlier, and a clock that stays behind as a reset', () => {
    const outlier = new TrackTimeline(90);
    expect(ms(outlier, [0, 40, 80, 120, -80, 160, 200])).toEqual([0, 40, 80, 120, 160, 200, 240]);
    const reset = new TrackTimeline(90);
    expect(ms(reset, [0, 40, 80, 0, 40, 80])).toEqual([0, 40, 80, 120, 160, 200]);
    expect(reset.stats).toMatchObject({ backwards: 1, resets: 1 });
  });

  it('closes a forward jump to one step and is strictly increasing whatever comes', () => {
    const t = new TrackTimeline(90);
    expect(ms(t, [0, 40, 80, 1_000_000, 1_000_040])).toEqual([0, 40, 80, 120, 160]);
    expect(t.stats.jumps).toBe(1);
    const chaos = new TrackTimeline(90);
    let last = -1;
    for (const v of [5, 5, 5, -100, 3, 99999999, 7, 7, 8, 0, 0]) {
      const tick = chaos.next(v);
      expect(tick).toBeGreaterThan(last);
      last = tick;
    }
  });
});
