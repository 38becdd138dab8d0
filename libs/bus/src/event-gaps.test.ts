import { describe, expect, it } from 'vitest';
import { EventGaps, MAX_TRACKED_GAPS, gapKey } from './event-gaps.js';

const positions = (g: EventGaps, seq: number) => g.below(seq).map(([s]) => s);

describe('EventGaps', () => {
  it('remembers the positions skipped below the highest one seen, nearest first, until seen or settled', () => {
    const g = new EventGaps(10);
    g.seen(10);
    expect(g.size).toBe(0);
    g.seen(14); // 11, 12, 13 went to another consumer
    expect(positions(g, 14)).toEqual([13, 12, 11]);
    expect(positions(g, 12)).toEqual([11]);
    g.seen(12); // redelivered here after its holder died
    g.settled(11);
    expect(positions(g, 100)).toEqual([13]);
    g.seen(20);
    g.settledBelow(16);
    expect(positions(g, 100)).toEqual([19, 18, 17, 16]);
  });

  it('keeps what a position holds once read', () => {
    const g = new EventGaps(1);
    g.seen(4);
    g.describe(2, gapKey('realtime', 'live/jt1078-1-1'));
    g.describe(99, gapKey('realtime', 'never skipped')); // not a gap: ignored
    expect(g.below(4)).toEqual([[3, undefined], [2, 'realtime\nlive/jt1078-1-1'], [1, undefined]]);
  });

  it('counts from the stream first position: what is below it was settled before this consumer started', () => {
    const g = new EventGaps(500);
    g.seen(502);
    expect(positions(g, 1000)).toEqual([501, 500]);
  });

  it('stays bounded and counts what it forgets', () => {
    const g = new EventGaps(1);
    g.seen(MAX_TRACKED_GAPS + 11);
    expect(g.size).toBe(MAX_TRACKED_GAPS);
    expect(g.forgotten).toBe(10);
    expect(positions(g, 12)).toEqual([11]);
    const far = new EventGaps(1);
    far.seen(10 * MAX_TRACKED_GAPS);
    expect(far.size).toBe(MAX_TRACKED_GAPS);
    expect(far.forgotten).toBe(9 * MAX_TRACKED_GAPS - 1);
  });
});
