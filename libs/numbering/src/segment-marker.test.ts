import fc from 'fast-check';
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

  const cases = [
    { name: 'video with 2 s GOPs', target: 2000, frames: Array.from({ length: 200 }, (_, i) => video(i * 40, i % 50 === 0)), marks: [0, 50, 100, 150] },
    { name: 'audio, then video takes over at its first key frame', target: 2000, frames: [audio(0), audio(2000), video(2010, false), video(2050, true), audio(4100)], marks: [0, 1, 3] },
    { name: 'a 0.9 s GOP at a 1 s target is within the tolerance', target: 1000, frames: [video(0, true), video(900, true), video(1600, true)], marks: [0, 1] },
  ] as const;

  it.each(cases)('marks: $name', ({ target, frames, marks }) => {
    const m = new SegmentMarker(target, 1000);
    const got = frames.flatMap((f, i) => (m.mark(f) === undefined ? [] : [i]));
    expect(got).toEqual(marks);
    expect(m.next).toBe(1000 + marks.length);
  });

  it('numbers segments one by one, opens on key frames or (before any video) audio, and never throws (fuzz, seeded by the cases)', () => {
    const frame = fc.record({ mediaKind: fc.constantFrom('video' as const, 'audio' as const), keyFrame: fc.boolean(), dt: fc.integer({ min: 0, max: 3000 }) });
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 10_000 }), fc.array(frame, { maxLength: 300 }), fc.boolean(), (target, raw, audioMarks) => {
        const m = new SegmentMarker(target, 7, { audioMarks });
        let t = 0;
        let expected = 7;
        let sawVideo = false;
        for (const r of raw) {
          t += r.dt;
          const msn = m.mark({ mediaKind: r.mediaKind, keyFrame: r.keyFrame, timestamp: t });
          if (msn === undefined) continue;
          expect(msn).toBe(expected++);
          if (r.mediaKind === 'video') expect(r.keyFrame).toBe(true);
          else expect(sawVideo || !audioMarks).toBe(false);
          sawVideo ||= r.mediaKind === 'video';
        }
        expect(m.next).toBe(expected);
      }),
      { numRuns: 300, examples: cases.map((c): [number, Array<{ mediaKind: 'video' | 'audio'; keyFrame: boolean; dt: number }>, boolean] => [c.target, c.frames.map((f, i) => ({ mediaKind: f.mediaKind, keyFrame: f.keyFrame, dt: f.timestamp - (i === 0 ? 0 : c.frames[i - 1]!.timestamp) })), true]) },
    );
  });
});
