import { describe, expect, it } from 'vitest';
import { SEGMENT_TOLERANCE_RATIO, SegmentMarker } from './segment-marker.js';

const video = (timestamp: number, keyFrame = false) => ({ mediaKind: 'video' as const, keyFrame, timestamp });
const audio = (timestamp: number) => ({ mediaKind: 'audio' as const, keyFrame: false, timestamp });

describe('SegmentMarker', () => {
  it('opens a segment at the first key frame, then at the first key frame a target later (less the tolerance)', () => {
    const m = new SegmentMarker(2000, 1_000_000);
    expect(m.mark(audio(0))).toBe(1_000_000); // audio before any video: an audio-only segment so far
    expect(m.mark(video(10))).toBeUndefined(); // not a key frame
    expect(m.mark(video(40, true))).toBe(1_000_001); // the first key frame always opens one
    expect(m.mark(audio(60))).toBeUndefined(); // video leads from now on
    expect(m.mark(video(1040, true))).toBeUndefined(); // 1 s GOP: too early
    expect(m.mark(video(40 + 2000 * (1 - SEGMENT_TOLERANCE_RATIO) - 1, true))).toBeUndefined();
    expect(m.mark(video(2040 - 2000 * SEGMENT_TOLERANCE_RATIO, true))).toBe(1_000_002);
    expect(m.mark(video(2100, true))).toBeUndefined();
    expect(m.mark(video(3000, true))).toBeUndefined();
    expect(m.mark(video(6000, false))).toBeUndefined();
    expect(m.mark(video(6000, true))).toBe(1_000_003);
  });

  it('cuts an audio-only stream on time', () => {
    const m = new SegmentMarker(2000, 5);
    const marks = [];
    for (let t = 0; t < 10_000; t += 20) {
      const msn = m.mark(audio(t));
      if (msn !== undefined) marks.push([msn, t]);
    }
    expect(marks).toEqual([[5, 0], [6, 2000], [7, 4000], [8, 6000], [9, 8000]]);
  });

  it('gives two markers fed the same frames the same marks (what replicas rely on)', () => {
    const frames = Array.from({ length: 500 }, (_, i) => (i % 3 === 0 ? audio(i * 13) : video(i * 13, i % 37 === 1)));
    const a = new SegmentMarker(1500, 42);
    const b = new SegmentMarker(1500, 42);
    expect(frames.map((f) => a.mark(f))).toEqual(frames.map((f) => b.mark(f)));
  });
});
