import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GAP_DURATION_SEC, MAX_GAP_SEGMENTS, SegmentWindow, type ClosedSegment } from './segment-window.js';

const closed = (msn: number, partSizes: readonly number[] = [3, 2]): ClosedSegment => ({
  msn,
  mapUri: 'init.mp4',
  discontinuity: 0,
  parts: partSizes.map((n, i) => ({ uri: `part-${msn}.${i}.m4s`, durationSec: 0.5, independent: i === 0, data: new Uint8Array(n).fill(i + 1) })),
});

const cases = [
  { name: 'a window of 3 keeps the newest 3', size: 3, msns: [10, 11, 12, 13, 14], kept: [12, 13, 14] },
  { name: 'a window of 0 keeps all (offline)', size: 0, msns: [1, 2, 3, 4], kept: [1, 2, 3, 4] },
  { name: 'fewer segments than the window', size: 6, msns: [5], kept: [5] },
] as const;

describe('SegmentWindow', () => {
  it.each(cases)('$name', ({ size, msns, kept }) => {
    const w = new SegmentWindow(size);
    for (const msn of msns) w.add(closed(msn));
    expect(w.segments.map((s) => s.msn)).toEqual(kept);
    expect(w.last?.msn).toBe(kept[kept.length - 1]);
    expect(w.find(msns[0]!)?.msn).toBe(kept.includes(msns[0]! as never) ? msns[0] : undefined);
  });

  it('a segment is its parts back to back, once: the parts are views into it', () => {
    const s = new SegmentWindow(0).add(closed(7, [3, 2]));
    expect(s.uri).toBe('seg-7.m4s');
    expect([...s.data]).toEqual([1, 1, 1, 2, 2]);
    expect(s.durationSec).toBe(1);
    for (const p of s.parts) expect(p.data.buffer).toBe(s.data.buffer);
  });

  it('a gap is listed in order, counts toward the window, and is never found as media', () => {
    const w = new SegmentWindow(3);
    w.add(closed(10));
    expect(w.addGapsBefore(12, { mapUri: 'init.mp4', discontinuity: 0 })).toBe(1);
    const gap = w.last!;
    w.add(closed(12));
    expect(gap).toMatchObject({ msn: 11, uri: 'seg-11.m4s', gap: true, parts: [], durationSec: GAP_DURATION_SEC, mapUri: 'init.mp4' });
    expect(gap.data.length).toBe(0);
    expect(w.segments.map((s) => s.msn)).toEqual([10, 11, 12]);
    expect(w.find(11)).toBeUndefined();
    w.add(closed(13));
    expect(w.segments.map((s) => s.msn)).toEqual([11, 12, 13]);
  });

  it('lists no gap before the first segment, after the next number, or for a jump longer than MAX_GAP_SEGMENTS', () => {
    const w = new SegmentWindow(0);
    expect(w.addGapsBefore(5, { mapUri: 'init.mp4', discontinuity: 0 })).toBe(0);
    w.add(closed(10));
    expect(w.addGapsBefore(11, { mapUri: 'init.mp4', discontinuity: 0 })).toBe(0);
    expect(w.addGapsBefore(10, { mapUri: 'init.mp4', discontinuity: 0 })).toBe(0);
    expect(w.addGapsBefore(12 + MAX_GAP_SEGMENTS, { mapUri: 'init.mp4', discontinuity: 0 })).toBe(0);
    expect(w.addGapsBefore(11 + MAX_GAP_SEGMENTS, { mapUri: 'init.mp4', discontinuity: 1 })).toBe(MAX_GAP_SEGMENTS);
    expect(w.segments.map((s) => [s.msn, s.gap === true, s.discontinuity])).toEqual([[10, false, 0], [11, true, 1], [12, true, 1], [13, true, 1]]);
  });

  it('refuses a negative window', () => {
    expect(() => new SegmentWindow(-1)).toThrow(RangeError);
  });

  it('never holds more than its size, and segment bytes are the sum of their parts (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8 }), fc.array(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 5 }), { maxLength: 30 }), (size, segments) => {
        const w = new SegmentWindow(size);
        segments.forEach((parts, i) => {
          const s = w.add(closed(i, parts));
          expect(s.data.length).toBe(parts.reduce((a, b) => a + b, 0));
        });
        expect(w.segments.length).toBe(size === 0 ? segments.length : Math.min(size, segments.length));
      }),
      { numRuns: 200, examples: cases.map((c): [number, number[][]] => [c.size, c.msns.map(() => [3, 2])]) },
    );
  });
});
