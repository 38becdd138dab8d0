import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blockingReloadState, renderLlHlsPlaylist, type PlaylistPart, type PlaylistSegment, type PlaylistState } from './ll-hls-playlist.js';

const parts = (msn: number, n: number, sec = 0.5): PlaylistPart[] => Array.from({ length: n }, (_, i) => ({ uri: `part-${msn}.${i}.m4s`, durationSec: sec, independent: i === 0 }));
const seg = (msn: number, extra: Partial<PlaylistSegment> = {}): PlaylistSegment => ({ msn, uri: `seg-${msn}.m4s`, durationSec: 2, parts: parts(msn, 4), mapUri: 'init.mp4', ...extra });
const live = (segments: PlaylistSegment[], open?: PlaylistState['open'], extra: Partial<PlaylistState> = {}): PlaylistState => ({
  targetDurationSec: 2,
  partTargetSec: 0.5,
  segments,
  open,
  nextPartUri: open ? `part-${open.msn}.${open.parts.length}.m4s` : undefined,
  ended: false,
  ...extra,
});

const cases: ReadonlyArray<{ name: string; state: PlaylistState; text: string }> = [
  {
    name: 'live: server control, part target, parts near the edge, preload hint',
    state: live([seg(10), seg(11), seg(12)], { msn: 13, parts: parts(13, 1), mapUri: 'init.mp4' }),
    text: `#EXTM3U
#EXT-X-VERSION:9
#EXT-X-TARGETDURATION:2
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.5,HOLD-BACK=6.0
#EXT-X-PART-INF:PART-TARGET=0.5
#EXT-X-MEDIA-SEQUENCE:10
#EXT-X-MAP:URI="init.mp4"
#EXTINF:2.0,
seg-10.m4s
#EXT-X-PART:DURATION=0.5,URI="part-11.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.5,URI="part-11.1.m4s"
#EXT-X-PART:DURATION=0.5,URI="part-11.2.m4s"
#EXT-X-PART:DURATION=0.5,URI="part-11.3.m4s"
#EXTINF:2.0,
seg-11.m4s
#EXT-X-PART:DURATION=0.5,URI="part-12.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.5,URI="part-12.1.m4s"
#EXT-X-PART:DURATION=0.5,URI="part-12.2.m4s"
#EXT-X-PART:DURATION=0.5,URI="part-12.3.m4s"
#EXTINF:2.0,
seg-12.m4s
#EXT-X-PART:DURATION=0.5,URI="part-13.0.m4s",INDEPENDENT=YES
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-13.1.m4s"
`,
  },
  {
    name: 'ended: VOD, no parts, ENDLIST',
    state: { ...live([seg(0), seg(1, { durationSec: 1.24 })]), ended: true },
    text: `#EXTM3U
#EXT-X-VERSION:9
#EXT-X-TARGETDURATION:2
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-MAP:URI="init.mp4"
#EXTINF:2.0,
seg-0.m4s
#EXTINF:1.24,
seg-1.m4s
#EXT-X-ENDLIST
`,
  },
  {
    name: 'a new connection: DISCONTINUITY-SEQUENCE, DISCONTINUITY before the MAP, MAP named again',
    state: live([seg(5, { discontinuity: 2, parts: [] }), seg(6, { discontinuity: 3, parts: [] })], undefined, { partsWindowSec: 0 }),
    text: `#EXTM3U
#EXT-X-VERSION:9
#EXT-X-TARGETDURATION:2
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.5,HOLD-BACK=6.0
#EXT-X-PART-INF:PART-TARGET=0.5
#EXT-X-MEDIA-SEQUENCE:5
#EXT-X-DISCONTINUITY-SEQUENCE:2
#EXT-X-MAP:URI="init.mp4"
#EXTINF:2.0,
seg-5.m4s
#EXT-X-DISCONTINUITY
#EXT-X-MAP:URI="init.mp4"
#EXTINF:2.0,
seg-6.m4s
`,
  },
  {
    name: 'a number with no media: EXT-X-GAP before its EXTINF (rfc8216bis §4.4.4.7), the next segments keep their numbers',
    state: { ...live([seg(5, { parts: [] }), seg(6, { parts: [], durationSec: 0.04, gap: true }), seg(7, { discontinuity: 1, parts: [] })]), ended: true },
    text: `#EXTM3U
#EXT-X-VERSION:9
#EXT-X-TARGETDURATION:2
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MEDIA-SEQUENCE:5
#EXT-X-MAP:URI="init.mp4"
#EXTINF:2.0,
seg-5.m4s
#EXT-X-GAP
#EXTINF:0.04,
seg-6.m4s
#EXT-X-DISCONTINUITY
#EXT-X-MAP:URI="init.mp4"
#EXTINF:2.0,
seg-7.m4s
#EXT-X-ENDLIST
`,
  },
  {
    name: 'new parameter sets alone: a new MAP, no DISCONTINUITY',
    state: { ...live([seg(1, { parts: [] }), seg(2, { mapUri: 'init-1.mp4', parts: [] })]), ended: true },
    text: `#EXTM3U
#EXT-X-VERSION:9
#EXT-X-TARGETDURATION:2
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MEDIA-SEQUENCE:1
#EXT-X-MAP:URI="init.mp4"
#EXTINF:2.0,
seg-1.m4s
#EXT-X-MAP:URI="init-1.mp4"
#EXTINF:2.0,
seg-2.m4s
#EXT-X-ENDLIST
`,
  },
];

const reload = [
  { name: 'a complete segment is ready', msn: 11, part: undefined, state: 'ready' },
  { name: 'an open segment\'s part that exists is ready', msn: 13, part: 0, state: 'ready' },
  { name: 'the next part waits', msn: 13, part: 1, state: 'wait' },
  { name: 'two segments on still waits', msn: 15, part: undefined, state: 'wait' },
  { name: 'three segments on is too far (§6.2.5.2)', msn: 16, part: undefined, state: 'too-far' },
  { name: 'more parts ahead than the advance limit is too far', msn: 13, part: 1 + 6, state: 'too-far' },
] as const;

describe('renderLlHlsPlaylist', () => {
  it.each(cases)('$name', ({ state, text }) => {
    expect(renderLlHlsPlaylist(state)).toBe(text);
  });

  it('keeps the text rules for any state (fuzz, seeded by the cases)', () => {
    const segment = fc.record({ durationSec: fc.double({ min: 0.1, max: 10, noNaN: true }), parts: fc.integer({ min: 0, max: 8 }), map: fc.integer({ min: 0, max: 2 }), discontinuity: fc.integer({ min: 0, max: 3 }) });
    const state = fc.record({
      first: fc.integer({ min: 0, max: 2 ** 45 }),
      segments: fc.array(segment, { maxLength: 12 }),
      open: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
      ended: fc.boolean(),
      partTargetSec: fc.constantFrom(0.2, 0.5, 1, 1.5),
    }).map(({ first, segments, open, ended, partTargetSec }): PlaylistState => {
      let d = 0;
      const list = segments.map((s, i) => {
        d += s.discontinuity === 3 ? 1 : 0;
        return seg(first + i, { durationSec: s.durationSec, parts: parts(first + i, s.parts, partTargetSec), mapUri: `init-${s.map}.mp4`, discontinuity: d });
      });
      const openSeg = open === undefined ? undefined : { msn: first + list.length, parts: parts(first + list.length, open, partTargetSec), mapUri: 'init-0.mp4', discontinuity: d };
      return { ...live(list, openSeg), partTargetSec, targetDurationSec: Math.max(1, Math.ceil(Math.max(0, ...list.map((s) => s.durationSec)))), ended };
    });
    fc.assert(
      fc.property(state, (p) => {
        const text = renderLlHlsPlaylist(p);
        const lines = text.split('\n');
        expect(lines[0]).toBe('#EXTM3U');
        expect(text.endsWith('\n')).toBe(true);
        // Every EXTINF is followed by its URI, one per complete segment, in order.
        const uris = lines.flatMap((l, i) => (l.startsWith('#EXTINF:') ? [lines[i + 1]] : []));
        expect(uris).toEqual(p.segments.map((s) => s.uri));
        expect(text.includes('#EXT-X-ENDLIST')).toBe(p.ended);
        if (p.ended) expect(text).not.toMatch(/#EXT-X-(PART|PRELOAD-HINT|SERVER-CONTROL)/);
        // Each segment names an init segment before it.
        const firstInf = lines.findIndex((l) => l.startsWith('#EXTINF'));
        if (firstInf >= 0) expect(lines.slice(0, firstInf).some((l) => l.startsWith('#EXT-X-MAP:URI='))).toBe(true);
        expect(text.length).toBeLessThanOrEqual(400 + 120 * (p.segments.length + p.segments.reduce((n, s) => n + s.parts.length, 0) + (p.open?.parts.length ?? 0)));
      }),
      { numRuns: 300, examples: cases.map((c) => [c.state]) },
    );
  });
});

describe('blockingReloadState (§6.2.5.2)', () => {
  const state = live([seg(10), seg(11), seg(12)], { msn: 13, parts: parts(13, 1), mapUri: 'init.mp4' });
  it.each(reload)('$name', ({ msn, part, state: expected }) => {
    expect(blockingReloadState(state, msn, part)).toBe(expected);
  });

  it('is ready for everything listed, for any request (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 }), fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }), (msn, part) => {
        const got = blockingReloadState(state, msn, part);
        if (msn <= 12) expect(got).toBe('ready');
        if (msn > 15) expect(got).toBe('too-far');
      }),
      { numRuns: 300, examples: reload.map((r): [number, number | undefined] => [r.msn, r.part]) },
    );
  });
});
