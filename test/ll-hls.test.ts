/**
 * The live LL-HLS playlist the packager serves, built from a real capture looped as a live
 * stream, parsed with hls-parser (a maintained parser) and held to draft-pantos-hls-rfc8216bis:
 * part durations, hold-backs, preload hints, INDEPENDENT parts, the sliding window, blocking
 * reload answers; and two instances fed the same frames agree byte for byte.
 */
import HLS from 'hls-parser';
import { describe, expect, it } from 'vitest';
import { readCapture, type AssembledFrame } from '@jt1078/jt1078';
import { SegmentMarker, continuesNumbering } from '@jt1078/numbering';
import { MediaFramePackager, type PackagerFrame } from '@jt1078/media/packaging';
import { G711_CAPTURE, framesOf, sharedTestdataAvailable } from '../libs/jt1078/src/testdata/generate-captures.js';

const frames = (): AssembledFrame[] => framesOf(readCapture(G711_CAPTURE));
// Every rule hls-parser knows becomes a failure, not a console line.
HLS.setOptions({ strictMode: true });

/** The capture looped `passes` times, timestamps continuing, as a live ingest would stamp them. */
function* live(passes: number) {
  const src = frames();
  const span = 4300;
  for (let pass = 0; pass < passes; pass++) {
    for (const f of src) yield { kind: f.kind as 'video' | 'audio', codec: f.codec!, data: f.data, timestamp: f.timestamp! + pass * span, keyFrame: f.keyFrame };
  }
}

/** sample_flags of the first sample of the first trun in a fragment. */
function firstSampleIsSync(fragment: Uint8Array): boolean {
  const i = Buffer.from(fragment).indexOf('trun');
  const flags = (fragment[i + 5]! << 16) | (fragment[i + 6]! << 8) | fragment[i + 7]!;
  // trun: version/flags, sample_count, data_offset, then per sample: duration, size, flags.
  const o = i + 8 + 4 + (flags & 1 ? 4 : 0) + (flags & 4 ? 4 : 0) + (flags & 0x100 ? 4 : 0) + (flags & 0x200 ? 4 : 0);
  const sampleFlags = (fragment[o]! << 24) | (fragment[o + 1]! << 16) | (fragment[o + 2]! << 8) | fragment[o + 3]!;
  return ((sampleFlags >>> 16) & 1) === 0;
}

describe.runIf(sharedTestdataAvailable())('LL-HLS live playlist', () => {
  it('meets the LL-HLS rules at every update, in a sliding window', () => {
    const packager = new MediaFramePackager({ partTargetMs: 500, segmentTargetMs: 2000, windowSegments: 4, expectAudio: true });
    const seg = packager.segmenter;
    let checks = 0;
    let lastMsn = -1;
    seg.onChange(() => {
      const text = seg.playlist();
      const p = HLS.parse(text) as HLS.types.MediaPlaylist;
      const partTarget = p.partTargetDuration!;
      expect(partTarget).toBe(0.5);
      expect(p.lowLatencyCompatibility!.partHoldBack).toBeGreaterThanOrEqual(3 * partTarget);
      expect(p.lowLatencyCompatibility!.holdBack).toBeGreaterThanOrEqual(3 * p.targetDuration);
      expect(p.lowLatencyCompatibility!.canBlockReload).toBe(true);
      expect(p.segments.length).toBeLessThanOrEqual(5);
      expect(p.mediaSequenceBase ?? 0).toBeGreaterThanOrEqual(lastMsn);
      lastMsn = p.mediaSequenceBase ?? 0;
      for (const s of p.segments) {
        if (s.uri) expect(Math.round(s.duration)).toBeLessThanOrEqual(p.targetDuration);
        for (const part of s.parts ?? []) {
          if (part.hint) continue;
          expect(part.duration).toBeLessThanOrEqual(partTarget + 1e-9);
          const [msn, index] = /part-(\d+)\.(\d+)\.m4s/.exec(part.uri)!.slice(1).map(Number) as [number, number];
          expect(Boolean(part.independent)).toBe(firstSampleIsSync(seg.part(msn, index)!));
        }
      }
      // The preload hint names the part after the last one listed.
      const open = seg.playlistState().open!;
      expect(text).toContain(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-${open.msn}.${open.parts.length}.m4s"`);
      checks++;
    });
    for (const f of live(6)) packager.push(f);
    expect(checks).toBeGreaterThan(40);
    expect(seg.segments.length).toBe(4);
    expect(seg.segments[0]!.msn).toBeGreaterThan(0);
    expect(packager.stats.undecodableFrames).toBe(0);
  });

  it('answers blocking reloads as §6.2.5.2 says: ready, wait, or too far ahead', () => {
    const packager = new MediaFramePackager({ windowSegments: 4, expectAudio: true });
    for (const f of live(2)) packager.push(f);
    const seg = packager.segmenter;
    const state = seg.playlistState();
    const last = state.segments[state.segments.length - 1]!.msn;
    const open = state.open!;
    expect(seg.reloadState(last, undefined)).toBe('ready');
    expect(seg.reloadState(last, 0)).toBe('ready');
    expect(seg.reloadState(open.msn, open.parts.length - 1)).toBe('ready');
    expect(seg.reloadState(open.msn, open.parts.length)).toBe('wait');
    expect(seg.reloadState(open.msn + 1, 0)).toBe('wait');
    expect(seg.reloadState(open.msn + 3, 0)).toBe('too-far');
    expect(seg.reloadState(open.msn, open.parts.length + 6)).toBe('too-far');
  });

  it('gives identical playlists and bytes in two instances fed the same frames', () => {
    const a = new MediaFramePackager({ windowSegments: 4, expectAudio: true });
    const b = new MediaFramePackager({ windowSegments: 4, expectAudio: true });
    for (const f of live(3)) {
      a.push(f);
      b.push(f);
    }
    expect(b.segmenter.playlist()).toBe(a.segmenter.playlist());
    for (const s of a.segmenter.segments) expect(Buffer.compare(b.segmenter.segment(s.msn)!, s.data)).toBe(0);
    expect(Buffer.compare(b.segmenter.init()!, a.segmenter.init()!)).toBe(0);
  });

  /**
   * The frames as the ingest publishes them: numbered, timestamps monotonic per track, and the
   * frame that opens each segment marked (the connection started at unix ms `base`).
   */
  function published(passes: number, base = 1_764_582_000_123, discontinuity?: number, marker = new SegmentMarker(2000, base)): PackagerFrame[] {
    const last = { video: -1, audio: -1 };
    return [...live(passes)].map((f, sequence) => {
      const timestamp = Math.max(last[f.kind] + 1, f.timestamp);
      last[f.kind] = timestamp;
      const segment = marker.mark({ mediaKind: f.kind, keyFrame: f.keyFrame, timestamp });
      return { ...f, timestamp, sequence, ...(segment === undefined ? {} : { segment, ...(discontinuity === undefined ? {} : { discontinuity }) }) };
    });
  }

  it('gives a replica that joins late the same segments, parts, names and playlist as one that saw the stream from its start', () => {
    const frames = published(12);
    const marks = frames.filter((f) => f.segment !== undefined).map((f) => frames.indexOf(f));
    const full = new MediaFramePackager({ source: 'marked', windowSegments: 0, expectVideo: 'auto', expectAudio: 'auto' });
    for (const f of frames) full.push(f);
    expect(full.segmenter.segments.length).toBeGreaterThan(8);
    expect(full.segmenter.segments[0]!.uri).toMatch(/^seg-17645820001\d\d\.m4s$/);
    expect(full.tracks.audio?.codec).toBe('opus');
    // Late joins: mid-GOP, exactly on a mark (it cannot know the frames before were seen), just after one.
    for (const start of [137, marks[2]!, marks[3]! + 1, 611]) {
      const late = new MediaFramePackager({ source: 'marked', windowSegments: 0, expectVideo: 'auto', expectAudio: 'auto' });
      for (const f of frames.slice(start)) late.push(f);
      const segs = late.segmenter.segments;
      // It begins at the second mark it sees: the first may lack the audio the encoder is primed with.
      const secondMark = marks.filter((i) => i >= start)[1]!;
      expect(segs[0]!.msn, `join at frame ${start}`).toBe(frames[secondMark]!.segment);
      expect(late.stats.framesBeforeStart + late.stats.undecodableFrames).toBe(secondMark - start);
      for (const s of segs) {
        const twin = full.segmenter.segments.find((x) => x.msn === s.msn)!;
        expect(s.uri).toBe(twin.uri);
        expect(s.mapUri).toBe(twin.mapUri);
        expect(Buffer.compare(s.data, twin.data), `segment ${s.msn} after a join at frame ${start}`).toBe(0);
      }
      expect(Buffer.compare(late.segmenter.init(segs[0]!.mapUri)!, full.segmenter.init(segs[0]!.mapUri)!)).toBe(0);
      const open = late.segmenter.playlistState().open!;
      for (let i = 0; i < open.parts.length; i++) expect(Buffer.compare(late.segmenter.part(open.msn, i)!, full.segmenter.part(open.msn, i)!)).toBe(0);
    }
  });

  it('gives two live replicas with the same window the same playlist, byte for byte, at every part', () => {
    const frames = published(12);
    const a = new MediaFramePackager({ source: 'marked', windowSegments: 4, expectVideo: 'auto', expectAudio: 'auto' });
    const b = new MediaFramePackager({ source: 'marked', windowSegments: 4, expectVideo: 'auto', expectAudio: 'auto' });
    const start = frames.length >> 2;
    for (const f of frames.slice(0, start)) a.push(f);
    let compared = 0;
    a.segmenter.onChange(() => {
      // Once b's window has filled, the two are interchangeable behind a CDN.
      if (b.segmenter.segments.length < 4 || a.segmenter.playlistState().open?.msn !== b.segmenter.playlistState().open?.msn) return;
      if (a.segmenter.playlistState().open?.parts.length !== b.segmenter.playlistState().open?.parts.length) return;
      expect(b.segmenter.playlist()).toBe(a.segmenter.playlist());
      compared++;
    });
    for (const f of frames.slice(start)) {
      b.push(f);
      a.push(f);
    }
    expect(compared).toBeGreaterThan(10);
    expect(b.segmenter.playlist()).toBe(a.segmenter.playlist());
  });

  it('carries one playlist across a device reconnect: numbers go on, EXT-X-DISCONTINUITY, the same on a replica that joined after it', () => {
    const marker = new SegmentMarker(2000, 1_764_582_000_123);
    const first = published(4, 1_764_582_000_123, undefined, marker);
    // The next connection continues the numbering where the first left it (the registry's cursor), timestamps from 0 again.
    const second = published(12, marker.next, 1);
    const a = new MediaFramePackager({ source: 'marked', windowSegments: 6, expectVideo: 'auto', expectAudio: 'auto' });
    let checked = 0;
    a.segmenter.onChange(() => {
      HLS.parse(a.segmenter.playlist());
      checked++;
    });
    for (const f of first) a.push(f);
    const lastOfFirst = a.segmenter.lastMsn!;
    a.newConnection();
    for (const f of second.slice(0, 120)) a.push(f);
    const across = a.segmenter.playlist();
    expect(across).toContain('#EXT-X-DISCONTINUITY\n');
    const numbers = [...across.matchAll(/seg-(\d+)\.m4s/g)].map((m) => Number(m[1]));
    expect(numbers).toContain(lastOfFirst);
    numbers.forEach((n, i) => i > 0 && expect(n).toBe(numbers[i - 1]! + 1));
    for (const f of second.slice(120)) a.push(f);
    // Once the first connection's segments have left the window, the sequence says where it is.
    expect(a.segmenter.playlist()).toContain('#EXT-X-DISCONTINUITY-SEQUENCE:1\n');
    expect(checked).toBeGreaterThan(50);
    // A replica that saw only the second connection, from its middle, serves the same.
    const late = new MediaFramePackager({ source: 'marked', windowSegments: 6, expectVideo: 'auto', expectAudio: 'auto' });
    for (const f of second.slice(300)) late.push(f);
    expect(late.segmenter.playlist()).toBe(a.segmenter.playlist());
  });

  it('goes on across a crash that lost the segment the cursor had counted: EXT-X-GAP for it, the numbers after it unchanged', () => {
    const marker = new SegmentMarker(2000, 1_764_582_000_123);
    const sent = published(4, 1_764_582_000_123, undefined, marker);
    // The dead pod marked one more segment (its cursor counts it) whose frames never left it.
    const lastMark = sent.findLastIndex((f) => f.segment !== undefined);
    const lost = sent[lastMark]!.segment!;
    const second = published(2, marker.next, 1);
    const a = new MediaFramePackager({ source: 'marked', windowSegments: 6, expectVideo: 'auto', expectAudio: 'auto' });
    for (const f of sent.slice(0, lastMark)) a.push(f);
    expect(continuesNumbering({ lastMsn: a.segmenter.lastMsn, discontinuity: a.segmenter.discontinuity }, second.find((f) => f.segment !== undefined)! as { segment: number; discontinuity: number })).toBe(true);
    a.newConnection();
    for (const f of second.slice(0, 120)) a.push(f);
    const text = a.segmenter.playlist();
    HLS.parse(text);
    expect(text).toContain(`#EXT-X-GAP\n#EXTINF:0.04,\nseg-${lost}.m4s\n#EXT-X-DISCONTINUITY\n`);
    const numbers = [...text.matchAll(/seg-(\d+)\.m4s/g)].map((m) => Number(m[1]));
    numbers.forEach((n, i) => i > 0 && expect(n).toBe(numbers[i - 1]! + 1));
    expect(a.segmenter.segment(lost)).toBeUndefined();
    expect(a.segmenter.stats.gaps).toBe(1);
  });
});
