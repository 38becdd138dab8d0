import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readFragment } from '../fmp4/fragment-reader.js';
import type { AudioTrackInfo, VideoTrackInfo } from '../fmp4/track-info.js';
import { LlHlsSegmenter } from './ll-hls-segmenter.js';

const VIDEO: VideoTrackInfo = { kind: 'video', id: 1, codec: 'h264', width: 320, height: 240, configRecord: Uint8Array.of(1, 0x4d, 0x40, 0x0d, 0xff, 0xe0, 0) };
const OPUS: AudioTrackInfo = { kind: 'audio', id: 2, codec: 'opus', sampleRate: 48000, channels: 1, preSkip: 312 };
const FRAME = 3600; // 40 ms at 90 kHz

/** One step fed to the segmenter: a video frame (opening segment `mark` when given), an audio sample, or an audio-only mark. */
type Step = { readonly v: number; readonly key: boolean; readonly mark?: number } | { readonly a: number } | { readonly open: number };

function feed(s: LlHlsSegmenter, steps: readonly Step[]): void {
  for (const step of steps) {
    if ('v' in step) s.pushVideo({ data: new Uint8Array(10).fill(step.v & 0xff), time: step.v, keyFrame: step.key }, step.mark === undefined ? undefined : { msn: step.mark });
    else if ('a' in step) s.pushAudio({ data: Uint8Array.of(1, 2, 3), time: step.a, duration: 960 });
    else s.openSegment({ msn: step.open });
  }
}

/** 25 fps video from frame 0 for `frames` frames, a key frame every `gop`, a mark on every `markEvery`-th key frame. */
function video(frames: number, gop: number, markEvery = 1, firstMsn = 100): Step[] {
  return Array.from({ length: frames }, (_, i) => {
    const key = i % gop === 0;
    const mark = key && (i / gop) % markEvery === 0 ? firstMsn + i / gop / markEvery : undefined;
    return mark === undefined ? { v: i * FRAME, key } : { v: i * FRAME, key, mark };
  });
}

const round = (x: number) => Math.round(x * 1000) / 1000;

const cases: ReadonlyArray<{ name: string; audio: boolean; video: boolean; steps: Step[]; segments: Array<[number, number[]]>; independent?: boolean[]; dropped?: number }> = [
  {
    name: '2 s GOPs, a mark at each: parts of 12 frames (the 13th would pass 500 ms), the last short',
    audio: false, video: true, steps: video(150, 50),
    segments: [[100, [0.48, 0.48, 0.48, 0.48, 0.08]], [101, [0.48, 0.48, 0.48, 0.48, 0.08]]],
    independent: [true, false, false, false, false],
  },
  {
    // The part before it would be one frame, under 85 % of the target (rfc8216bis §4.4.4.9).
    name: '1 s GOPs, a mark every second key frame: the key frame in between does not cut a part short',
    audio: false, video: true, steps: video(150, 25, 2),
    segments: [[100, [0.48, 0.48, 0.48, 0.48, 0.08]], [101, [0.48, 0.48, 0.48, 0.48, 0.08]]],
    independent: [true, false, false, false, false],
  },
  {
    name: '0.96 s GOPs, a mark every other: the key frame in between starts an independent part',
    audio: false, video: true, steps: video(144, 24, 2),
    segments: [[100, [0.48, 0.48, 0.48, 0.48]], [101, [0.48, 0.48, 0.48, 0.48]]],
    independent: [true, false, true, false],
  },
  {
    name: 'frames before the first mark are dropped, counted',
    audio: false, video: true, steps: [{ v: 0, key: false }, { v: FRAME, key: false }, ...video(60, 50).map((s) => ('v' in s ? { ...s, v: s.v + 2 * FRAME } : s))],
    segments: [[100, [0.48, 0.48, 0.48, 0.48, 0.08]]], dropped: 2,
  },
  {
    name: 'audio only, cut on the audio clock: 25 Opus frames of 20 ms to a part',
    audio: true, video: false,
    steps: [{ open: 7 }, ...Array.from({ length: 100 }, (_, i) => ({ a: i * 960 })), { open: 8 }, ...Array.from({ length: 10 }, (_, i) => ({ a: (100 + i) * 960 }))],
    segments: [[7, [0.5, 0.5, 0.5, 0.5]]],
  },
];

describe('LlHlsSegmenter: part and segment cutting', () => {
  it.each(cases)('$name', ({ audio, video: hasVideo, steps, segments, independent, dropped }) => {
    const s = new LlHlsSegmenter({ partTargetMs: 500, segmentTargetMs: 2000 });
    s.setTracks(hasVideo ? VIDEO : undefined, audio ? OPUS : undefined);
    feed(s, steps);
    s.end();
    const got = s.segments.map((seg) => [seg.msn, s.playlistState().segments.find((x) => x.msn === seg.msn)!.parts.map((p) => round(p.durationSec))]);
    expect(got.slice(0, segments.length)).toEqual(segments);
    if (independent) expect(s.playlistState().segments[0]!.parts.map((p) => p.independent)).toEqual(independent);
    expect(s.stats.droppedBeforeSegment).toBe(dropped ?? 0);
    // A segment's bytes are its parts' bytes, and each part parses back as a fragment.
    for (const seg of s.segments) {
      const parts = s.playlistState().segments.find((x) => x.msn === seg.msn)!.parts;
      const bytes = parts.map((_, i) => s.part(seg.msn, i)!);
      expect(Buffer.concat(bytes).equals(Buffer.from(seg.data))).toBe(true);
      for (const b of bytes) expect(readFragment(b).length).toBeGreaterThan(0);
    }
  });

  it('a live window keeps the newest segments, and the playlist lists only those', () => {
    const s = new LlHlsSegmenter({ windowSegments: 2 });
    s.setTracks(VIDEO, undefined);
    feed(s, video(250, 50));
    expect(s.segments.map((x) => x.msn)).toEqual([102, 103]);
    expect(s.playlist()).toContain('#EXT-X-MEDIA-SEQUENCE:102');
    expect(s.segment(100)).toBeUndefined();
  });

  it('a number whose frames never came is listed as EXT-X-GAP, so the segments after it keep their numbers', () => {
    const s = new LlHlsSegmenter({ partTargetMs: 500, segmentTargetMs: 2000 });
    s.setTracks(VIDEO, undefined);
    feed(s, video(75, 50)); // 100 complete, 101 open with half a GOP
    s.interrupt(); // the device's connection ended: 101 closes
    // The next connection's first mark is 103: 102 was numbered by a pod that died before sending it.
    s.pushVideo({ data: new Uint8Array(10), time: 0, keyFrame: true }, { msn: 103, discontinuity: 1 });
    feed(s, video(60, 50, 1, 104).slice(1).map((x) => ('mark' in x && x.mark !== undefined ? { ...x, mark: 104 } : x)));
    expect(s.segments.map((x) => [x.msn, x.gap === true])).toEqual([[100, false], [101, false], [102, true], [103, false]]);
    expect(s.stats.gaps).toBe(1);
    expect(s.segment(102)).toBeUndefined();
    expect(s.part(102, 0)).toBeUndefined();
    expect(s.reloadState(102, undefined)).toBe('ready');
    // The gap belongs to the old connection: it comes before the discontinuity.
    expect(s.playlist()).toMatch(/seg-101\.m4s\n#EXT-X-GAP\n#EXTINF:0\.04,\nseg-102\.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="[^"]+"\n(#EXT-X-PART:[^\n]+\n)*#EXTINF:[\d.]+,\nseg-103\.m4s\n/);
  });

  it('an empty segment is listed as a gap; a jump longer than a crash can lose is not filled', () => {
    const s = new LlHlsSegmenter({ partTargetMs: 500 });
    s.setTracks(undefined, OPUS);
    feed(s, [{ open: 7 }, ...Array.from({ length: 30 }, (_, i) => ({ a: i * 960 })), { open: 8 }, { open: 9 }, { a: 40 * 960 }, { open: 20 }, { a: 41 * 960 }]);
    s.end();
    expect(s.segments.map((x) => [x.msn, x.gap === true])).toEqual([[7, false], [8, true], [9, false], [20, false]]);
    expect(s.stats.emptySegments).toBe(1);
  });

  it('never throws, keeps parts within the target (or one frame), and its bytes bounded by what went in (fuzz, seeded by the cases)', () => {
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ dv: fc.integer({ min: 1, max: 9000 }), key: fc.boolean(), mark: fc.boolean() }).map(({ dv, key, mark }) => ({ v: dv, key, ...(mark ? { mark: 0 } : {}) })),
      fc.record({ a: fc.integer({ min: -2000, max: 4000 }) }),
      fc.constant({ open: 0 }),
    );
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.array(step, { maxLength: 200 }), fc.integer({ min: 0, max: 4 }), (hasVideo, hasAudio, raw, window) => {
        fc.pre(hasVideo || hasAudio);
        // Times grow: deltas accumulate; marks get increasing numbers.
        let t = 0;
        let at = 0;
        let msn = 0;
        let maxFrame = 0;
        const steps = raw.map((x): Step => {
          if ('v' in x) {
            t += x.v;
            maxFrame = Math.max(maxFrame, x.v);
            return 'mark' in x ? { v: t, key: true, mark: msn++ } : { v: t, key: x.key };
          }
          if ('a' in x) return { a: (at += 960 + Math.max(0, x.a)) };
          return { open: msn++ };
        });
        const s = new LlHlsSegmenter({ partTargetMs: 500, windowSegments: window });
        s.setTracks(hasVideo ? VIDEO : undefined, hasAudio ? OPUS : undefined);
        feed(s, steps);
        s.end();
        const state = s.playlistState();
        for (const seg of state.segments) {
          for (const p of seg.parts) expect(p.durationSec).toBeLessThanOrEqual(Math.max(0.5, maxFrame / 90000) + 1e-6);
        }
        const bytesOut = s.segments.reduce((n, x) => n + x.data.length, 0);
        expect(bytesOut).toBeLessThanOrEqual(steps.length * (10 + 16) + state.segments.reduce((n, x) => n + x.parts.length, 0) * 200);
        expect(s.playlist().startsWith('#EXTM3U\n')).toBe(true);
      }),
      { numRuns: 200, examples: cases.map((c): [boolean, boolean, Step[], number] => [c.video, c.audio, asDeltas(c.steps), 0]) },
    );
  });
});

/** A case's steps in the fuzz run's form: times as deltas from the step before, marks as a flag. */
function asDeltas(steps: readonly Step[]): Step[] {
  let v = 0;
  let a = -960;
  return steps.map((x): Step => {
    if ('v' in x) {
      const dv = Math.max(1, x.v - v);
      v = x.v;
      return x.mark === undefined ? { v: dv, key: x.key } : { v: dv, key: true, mark: 0 };
    }
    if ('a' in x) {
      const da = x.a - a - 960;
      a = x.a;
      return { a: da };
    }
    return { open: 0 };
  });
}
