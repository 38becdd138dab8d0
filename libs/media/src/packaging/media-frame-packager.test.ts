import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { joinAnnexB } from '../annexb/annexb.js';
import type { CodecName } from '../codec/codec-name.js';
import { readFragment } from '../fmp4/fragment-reader.js';
import { encodeAlaw } from '../g711/index.js';
import { MediaFramePackager, type MediaFramePackagerOptions, type PackagerFrame } from './media-frame-packager.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
// Parameter sets of testdata/media/h264-g711u.bin (Main, 320x240); slices are stand-ins: the packager does not decode them.
const SPS = hex('674d400dd90141fb011000000300100000030320f142a480');
const PPS = hex('68ebc3cb20');
const keyAu = joinAnnexB([SPS, PPS, hex('6588840021aabbcc')]);
const pAu = joinAnnexB([hex('419a0102030405')]);

/** 25 fps H.264 from `t0` ms, a key frame every `gop`; `marks` puts the ingest's segment number on every key frame. */
function videoFrames(count: number, gop: number, opts: { t0?: number; marks?: number; firstSequence?: number } = {}): PackagerFrame[] {
  return Array.from({ length: count }, (_, i) => {
    const keyFrame = i % gop === 0;
    const base: PackagerFrame = { kind: 'video', codec: 'h264', data: keyFrame ? keyAu : pAu, timestamp: (opts.t0 ?? 0) + i * 40, keyFrame, sequence: (opts.firstSequence ?? 0) + i };
    return keyFrame && opts.marks !== undefined ? { ...base, segment: opts.marks + i / gop } : base;
  });
}

/** 20 ms G.711 A-law frames of a quiet tone. */
function alawFrames(count: number, t0 = 0): PackagerFrame[] {
  return Array.from({ length: count }, (_, f) => {
    const pcm = new Int16Array(160).map((_, i) => Math.round(2000 * Math.sin((2 * Math.PI * 440 * (f * 160 + i)) / 8000)));
    return { kind: 'audio', codec: 'g711a', data: encodeAlaw(pcm), timestamp: t0 + f * 20, keyFrame: false };
  });
}

const byTime = (...tracks: PackagerFrame[][]) => tracks.flat().sort((a, b) => a.timestamp - b.timestamp || (a.kind === 'video' ? -1 : 1));

const cases: ReadonlyArray<{ name: string; opts: MediaFramePackagerOptions; frames: PackagerFrame[]; msns: number[]; stats: Partial<MediaFramePackager['stats']>; audio?: string }> = [
  { name: 'a capture, video only: cut at 2 s key frames, numbered from 0', opts: {}, frames: videoFrames(150, 50), msns: [0, 1, 2], stats: { framesIn: 150, undecodableFrames: 0 } },
  { name: 'P-frames before the first parameter sets are undecodable', opts: {}, frames: [...videoFrames(3, 50, { t0: 0 }).map((f) => ({ ...f, data: pAu, keyFrame: false })), ...videoFrames(50, 50, { t0: 120 })], msns: [0], stats: { framesIn: 53, undecodableFrames: 3 } },
  { name: 'frames from the bus: segments where the ingest marked them, under its numbers', opts: { source: 'marked' }, frames: videoFrames(150, 50, { marks: 1_000 }), msns: [1_000, 1_001, 1_002], stats: { framesBeforeStart: 0 } },
  { name: 'a replica that joined late skips to its second mark', opts: { source: 'marked' }, frames: videoFrames(150, 50, { marks: 500, firstSequence: 40 }), msns: [501, 502], stats: { framesBeforeStart: 50 } },
  { name: 'a codec it cannot package is counted', opts: {}, frames: [{ kind: 'video', codec: 'svac', data: keyAu, timestamp: 0, keyFrame: true }, ...videoFrames(50, 50, { t0: 40 })], msns: [0], stats: { unsupportedFrames: 1 } },
  { name: 'video and G.711: the audio becomes Opus in the same parts', opts: { expectAudio: true }, frames: byTime(videoFrames(100, 50), alawFrames(200)), msns: [0, 1], stats: { undecodableFrames: 0 }, audio: 'opus' },
];

describe('MediaFramePackager', () => {
  it.each(cases)('$name', ({ opts, frames, msns, stats, audio }) => {
    const p = new MediaFramePackager({ partTargetMs: 500, segmentTargetMs: 2000, ...opts });
    for (const f of frames) p.push(f);
    p.end();
    expect(p.segmenter.segments.map((s) => s.msn)).toEqual(msns);
    expect(p.stats).toMatchObject(stats);
    expect(p.tracks.video).toMatchObject({ codec: 'h264', width: 320, height: 240, codecString: 'avc1.4d400d' });
    expect(p.tracks.audio?.codec).toBe(audio);
    // Every part is a fragment with the video track, and the audio one when there is audio.
    const tracks = new Set<number>();
    for (const s of p.segmenter.playlistState().segments) {
      s.parts.forEach((_, i) => {
        for (const t of readFragment(p.segmenter.part(s.msn, i)!)) tracks.add(t.trackId);
      });
    }
    expect([...tracks].sort()).toEqual(audio ? [1, 2] : [1]);
  });

  it('never throws on any frames, counts every one, and writes no more than it was given plus fixed overheads (fuzz, seeded by the cases)', () => {
    const codecs: CodecName[] = ['h264', 'h265', 'g711a', 'aac', 'adpcm', 'svac'];
    const frame = fc.record({
      codec: fc.constantFrom(...codecs),
      data: fc.oneof(fc.constant(keyAu), fc.constant(pAu), fc.uint8Array({ maxLength: 200 })),
      dt: fc.integer({ min: -50, max: 400 }),
      keyFrame: fc.boolean(),
      segment: fc.option(fc.constant(true), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.constantFrom<'device' | 'marked'>('device', 'marked'), fc.array(frame, { maxLength: 60 }), (source, raw) => {
        const p = new MediaFramePackager({ source, expectAudio: 'auto', expectVideo: 'auto' });
        let t = 0;
        let msn = 0;
        let bytesIn = 0;
        raw.forEach((r, i) => {
          t += r.dt;
          bytesIn += r.data.length;
          const kind = r.codec === 'h264' || r.codec === 'h265' || r.codec === 'svac' ? 'video' : 'audio';
          p.push({ kind, codec: r.codec, data: r.data, timestamp: t, keyFrame: r.keyFrame, sequence: i, ...(r.segment ? { segment: msn++ } : {}) });
        });
        p.end();
        expect(p.stats.framesIn).toBe(raw.length);
        const out = p.segmenter.segments.reduce((n, s) => n + s.data.length, 0);
        // Opus from G.711 is smaller than its input; each frame costs at most a trun entry, each part a moof.
        expect(out).toBeLessThanOrEqual(bytesIn + raw.length * 64 + p.segmenter.stats.parts * 300);
      }),
      { numRuns: 60, examples: cases.slice(0, 5).map((c): ['device' | 'marked', Array<{ codec: CodecName; data: Uint8Array; dt: number; keyFrame: boolean; segment: true | undefined }>] => [c.opts.source ?? 'device', c.frames.slice(0, 60).map((f, i) => ({ codec: f.codec, data: f.data, dt: i === 0 ? f.timestamp : f.timestamp - c.frames[i - 1]!.timestamp, keyFrame: f.keyFrame, segment: f.segment === undefined ? undefined : true }))]) },
    );
  });
});
