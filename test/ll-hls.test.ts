/**
 * The live LL-HLS playlist the packager serves, built from a real capture looped as a live
 * stream, parsed with hls-parser (a maintained parser) and held to draft-pantos-hls-rfc8216bis:
 * part durations, hold-backs, preload hints, INDEPENDENT parts, the sliding window, blocking
 * reload answers; and two instances fed the same frames agree byte for byte.
 */
import HLS from 'hls-parser';
import { describe, expect, it } from 'vitest';
import { readCapture, type AssembledFrame } from '@jt1078/jt1078';
import { MediaFramePackager } from '@jt1078/media/packaging';
import { G711_CAPTURE, framesOf, sharedTestdataAvailable } from '../libs/jt1078/src/testdata/generate-captures.js';

const frames = (): AssembledFrame[] => framesOf(readCapture(G711_CAPTURE));

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
});
