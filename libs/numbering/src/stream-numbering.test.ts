import { describe, expect, it } from 'vitest';
import { MalformedSegmentCursor, segmentCursorFromText, segmentCursorText, type SegmentCursor } from './segment-cursor.js';
import type { SegmentMark } from './segment-mark.js';
import { SEGMENT_TOLERANCE_RATIO } from './segment-marker.js';
import { MAX_LOST_SEGMENTS, StreamNumbering, continuesNumbering, type PlaylistEnd } from './stream-numbering.js';

/** `v` video, `k` key frame, `a` audio, each at a timestamp (ms). */
type Step = readonly ['v' | 'k' | 'a', number];

const START_MS = 1_764_582_000_123;
const TARGET_MS = 2000;
/** The earliest a key frame may open the next segment after one opened at 0. */
const EARLIEST = TARGET_MS * (1 - SEGMENT_TOLERANCE_RATIO);

interface NumberingCase {
  readonly name: string;
  readonly cursor?: SegmentCursor;
  readonly frames: readonly Step[];
  /** The marks, by the index of the frame that carries each (every other frame carries none). */
  readonly marks: Readonly<Record<number, SegmentMark>>;
  /** Where the numbering stands after the last frame. */
  readonly cursorAfter: SegmentCursor;
}

const NUMBERING_CASES: readonly NumberingCase[] = [
  {
    name: 'a fresh connection numbers from its start time; key frames open segments a target apart, less the tolerance',
    frames: [['k', 0], ['v', 40], ['k', 1000], ['k', EARLIEST - 1], ['k', EARLIEST], ['v', 5000], ['k', 5000]],
    marks: { 0: { segment: START_MS }, 4: { segment: START_MS + 1 }, 6: { segment: START_MS + 2 } },
    cursorAfter: { nextMsn: START_MS + 3, discontinuity: 0, video: true },
  },
  {
    name: 'audio opens segments on time until the first key frame, which always opens one; then only key frames do',
    frames: [['a', 0], ['a', 1000], ['a', 2000], ['v', 2010], ['k', 2050], ['a', 6000], ['k', 6000]],
    marks: { 0: { segment: START_MS }, 2: { segment: START_MS + 1 }, 4: { segment: START_MS + 2 }, 6: { segment: START_MS + 3 } },
    cursorAfter: { nextMsn: START_MS + 4, discontinuity: 0, video: true },
  },
  {
    name: 'an audio-only stream is cut on time and its cursor says so',
    frames: [['a', 0], ['a', 1999], ['a', 2000], ['a', 4000]],
    marks: { 0: { segment: START_MS }, 2: { segment: START_MS + 1 }, 3: { segment: START_MS + 2 } },
    cursorAfter: { nextMsn: START_MS + 3, discontinuity: 0, video: false },
  },
  {
    name: 'a connection that continues a name goes on from its cursor, one discontinuity later',
    cursor: { nextMsn: 500, discontinuity: 0 },
    frames: [['a', 0], ['k', 100]],
    marks: { 0: { segment: 500, discontinuity: 1 }, 1: { segment: 501, discontinuity: 1 } },
    cursorAfter: { nextMsn: 502, discontinuity: 1, video: true },
  },
  {
    name: 'after a stream that had video, audio that comes first opens no segment (the packagers cut at pictures)',
    cursor: { nextMsn: 77, discontinuity: 3, video: true },
    frames: [['a', 0], ['a', 2500], ['v', 2600], ['k', 2640]],
    marks: { 3: { segment: 77, discontinuity: 4 } },
    cursorAfter: { nextMsn: 78, discontinuity: 4, video: true },
  },
  {
    name: 'a connection that never sent a frame leaves the cursor it was given, one discontinuity on',
    cursor: { nextMsn: 9, discontinuity: 2, video: false },
    frames: [],
    marks: {},
    cursorAfter: { nextMsn: 9, discontinuity: 3, video: false },
  },
];

const frameOf = ([kind, timestamp]: Step) => ({ mediaKind: kind === 'a' ? ('audio' as const) : ('video' as const), keyFrame: kind === 'k', timestamp });

describe('StreamNumbering', () => {
  for (const c of NUMBERING_CASES) {
    it(c.name, () => {
      const n = new StreamNumbering(TARGET_MS, START_MS, c.cursor);
      const marks: Record<number, SegmentMark> = {};
      c.frames.forEach((step, i) => {
        const mark = n.mark(frameOf(step));
        if (mark !== undefined) {
          marks[i] = mark;
          // The cursor saved at a mark points past it: a crash now continues after this segment.
          expect(n.cursor.nextMsn).toBe(mark.segment + 1);
        }
      });
      expect(marks).toEqual(c.marks);
      expect(n.cursor).toEqual(c.cursorAfter);
    });
  }

  it('numbers two connections of one name as one playlist read back by continuesNumbering', () => {
    const first = new StreamNumbering(TARGET_MS, START_MS);
    const firstMarks = NUMBERING_CASES[0]!.frames.map((s) => first.mark(frameOf(s))).filter((m) => m !== undefined);
    const second = new StreamNumbering(TARGET_MS, START_MS + 60_000, segmentCursorFromText(segmentCursorText(first.cursor)));
    const opening = second.mark(frameOf(['k', 0]))!;
    expect(continuesNumbering({ lastMsn: firstMarks.at(-1)!.segment, discontinuity: 0 }, opening)).toBe(true);
  });
});

const CONTINUES_CASES: ReadonlyArray<{ readonly name: string; readonly end: PlaylistEnd; readonly first: SegmentMark; readonly continues: boolean }> = [
  { name: 'the next number, one discontinuity on', end: { lastMsn: 10, discontinuity: 0 }, first: { segment: 11, discontinuity: 1 }, continues: true },
  { name: 'the next number, several discontinuities on (connections that sent no frame)', end: { lastMsn: 10, discontinuity: 1 }, first: { segment: 11, discontinuity: 4 }, continues: true },
  { name: 'the next number in the same discontinuity sequence (not a continued name)', end: { lastMsn: 10, discontinuity: 1 }, first: { segment: 11, discontinuity: 1 }, continues: false },
  { name: 'no discontinuity header: a fresh numbering', end: { lastMsn: 10, discontinuity: 0 }, first: { segment: 11 }, continues: false },
  { name: 'one number skipped (its frames died with the pod that marked it)', end: { lastMsn: 10, discontinuity: 0 }, first: { segment: 12, discontinuity: 1 }, continues: true },
  { name: 'MAX_LOST_SEGMENTS numbers skipped', end: { lastMsn: 10, discontinuity: 0 }, first: { segment: 11 + MAX_LOST_SEGMENTS, discontinuity: 1 }, continues: true },
  { name: 'more numbers skipped than a crash can lose', end: { lastMsn: 10, discontinuity: 0 }, first: { segment: 12 + MAX_LOST_SEGMENTS, discontinuity: 1 }, continues: false },
  { name: 'a skip in the same discontinuity sequence', end: { lastMsn: 10, discontinuity: 1 }, first: { segment: 12, discontinuity: 1 }, continues: false },
  { name: 'a number already used', end: { lastMsn: 10, discontinuity: 0 }, first: { segment: 10, discontinuity: 1 }, continues: false },
  { name: 'a playlist with no segment yet', end: { lastMsn: undefined, discontinuity: 0 }, first: { segment: 0, discontinuity: 1 }, continues: false },
];

describe('continuesNumbering', () => {
  for (const c of CONTINUES_CASES) {
    it(c.name, () => expect(continuesNumbering(c.end, c.first)).toBe(c.continues));
  }
});

const CURSOR_TEXT_CASES: ReadonlyArray<{ readonly text: string; readonly cursor: SegmentCursor | 'malformed' }> = [
  { text: '{"nextMsn":1764582000130,"discontinuity":2,"video":true}', cursor: { nextMsn: 1_764_582_000_130, discontinuity: 2, video: true } },
  { text: '{"nextMsn":0,"discontinuity":0}', cursor: { nextMsn: 0, discontinuity: 0 } },
  { text: '{"nextMsn":5,"discontinuity":0,"video":false,"extra":1}', cursor: { nextMsn: 5, discontinuity: 0, video: false } },
  { text: 'not json', cursor: 'malformed' },
  { text: 'null', cursor: 'malformed' },
  { text: '[1,2]', cursor: 'malformed' },
  { text: '{"discontinuity":0}', cursor: 'malformed' },
  { text: '{"nextMsn":-1,"discontinuity":0}', cursor: 'malformed' },
  { text: '{"nextMsn":1.5,"discontinuity":0}', cursor: 'malformed' },
  { text: '{"nextMsn":"7","discontinuity":0}', cursor: 'malformed' },
  { text: '{"nextMsn":1e300,"discontinuity":0}', cursor: 'malformed' },
  { text: '{"nextMsn":7,"discontinuity":null}', cursor: 'malformed' },
  { text: '{"nextMsn":7,"discontinuity":0,"video":"yes"}', cursor: 'malformed' },
];

describe('segmentCursorFromText', () => {
  for (const c of CURSOR_TEXT_CASES) {
    it(`${c.text} → ${c.cursor === 'malformed' ? 'MalformedSegmentCursor' : 'a cursor'}`, () => {
      if (c.cursor === 'malformed') {
        expect(() => segmentCursorFromText(c.text)).toThrow(MalformedSegmentCursor);
      } else {
        expect(segmentCursorFromText(c.text)).toEqual(c.cursor);
        expect(segmentCursorFromText(segmentCursorText(c.cursor))).toEqual(c.cursor);
      }
    });
  }
});
