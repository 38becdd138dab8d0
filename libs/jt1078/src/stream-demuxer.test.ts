import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCapture } from './capture-file.js';
import { FrameAssembler, type AssembledFrame } from './frame-assembler.js';
import { MAX_BODY_BYTES } from './packet.js';
import { DETECT_LIMIT_BYTES } from './revision-detector.js';
import { StreamDemuxer } from './stream-demuxer.js';
import type { StreamFault } from './stream-fault.js';
import { G711_CAPTURE, H264_CAPTURE, sharedTestdataAvailable } from './testdata/generate-captures.js';

const haveShared = sharedTestdataAvailable();

interface Run {
  frames: AssembledFrame[];
  faults: StreamFault[];
  demuxer: StreamDemuxer;
  assembler: FrameAssembler;
  maxBuffered: number;
}

function run(bytes: Uint8Array, chunks: (remaining: number) => number): Run {
  const frames: AssembledFrame[] = [];
  const faults: StreamFault[] = [];
  const assembler = new FrameAssembler({ onFault: (f) => faults.push(f) });
  const demuxer = new StreamDemuxer({ onPacket: (p) => frames.push(...assembler.push(p)), onFault: (f) => faults.push(f) });
  let maxBuffered = 0;
  for (let i = 0; i < bytes.length; ) {
    const n = Math.max(1, Math.min(chunks(bytes.length - i), bytes.length - i));
    demuxer.push(bytes.subarray(i, i + n));
    maxBuffered = Math.max(maxBuffered, demuxer.bufferedBytes);
    i += n;
  }
  demuxer.end();
  assembler.end();
  return { frames, faults, demuxer, assembler, maxBuffered };
}

/** What a frame is, for comparisons (the data copied out so views do not alias). */
const summary = (f: AssembledFrame) => ({
  sim: f.sim, channel: f.channel, kind: f.kind, codec: f.codec, keyFrame: f.keyFrame,
  timestamp: f.timestamp, seq: f.firstSequence, data: Buffer.from(f.data).toString('base64'),
});

/**
 * A deliberately naive second reader (no resync, 2016 layout only), written from table 19
 * without the demuxer's code: it counts packets and, per data-type class, the packets that end
 * a frame (atomic or last), to cross-check the demuxer and assembler.
 */
function naiveCount(b: Uint8Array) {
  let pos = 0;
  const counts = { packets: 0, video: 0, audio: 0 };
  while (pos < b.length) {
    const dt = b[pos + 15]! >> 4;
    const sp = b[pos + 15]! & 0x0f;
    const hl = dt <= 2 ? 30 : dt === 3 ? 26 : 18;
    const len = (b[pos + hl - 2]! << 8) | b[pos + hl - 1]!;
    counts.packets++;
    if (sp === 0 || sp === 2) {
      if (dt <= 2) counts.video++;
      else if (dt === 3) counts.audio++;
    }
    pos += hl + len;
  }
  return counts;
}

function ffprobeFrameCount(annexB: Uint8Array): { frames: number; width: number; height: number } {
  const dir = mkdtempSync(path.join(tmpdir(), 'jt1078-'));
  try {
    const file = path.join(dir, 'video.h264');
    writeFileSync(file, annexB);
    const out = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames,width,height', '-of', 'json', file]);
    const s = (JSON.parse(out.toString()) as { streams: Array<{ nb_read_frames: string; width: number; height: number }> }).streams[0]!;
    return { frames: Number(s.nb_read_frames), width: s.width, height: s.height };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const CAPTURES = [
  { name: 'H.264 only', file: H264_CAPTURE, sim: '295696659617', packets: 324, video: 101, keyFrames: 2, audio: 0, size: [720, 576] },
  { name: 'H.264 + G.711A', file: G711_CAPTURE, sim: '156987000796', packets: 540, video: 102, keyFrames: 2, audio: 214, size: [720, 576] },
] as const;

describe.runIf(haveShared)('the real captures', () => {
  for (const c of CAPTURES) {
    it(`${c.name}: exact counts, zero faults, cross-checked`, () => {
      const bytes = readCapture(c.file);
      const r = run(bytes, () => 10 * 1024);
      expect(r.faults).toEqual([]);
      expect(r.demuxer.revision).toBe('2016');
      expect(r.demuxer.stats.packets).toBe(c.packets);
      expect(r.demuxer.stats.skippedBytes).toBe(0);
      const video = r.frames.filter((f) => f.kind === 'video');
      const audio = r.frames.filter((f) => f.kind === 'audio');
      expect(video).toHaveLength(c.video);
      expect(video.filter((f) => f.keyFrame)).toHaveLength(c.keyFrames);
      expect(audio).toHaveLength(c.audio);
      expect(new Set(r.frames.map((f) => `${f.sim}/${f.channel}`))).toEqual(new Set([`${c.sim}/1`]));
      // Independent checks: a naive reader, and ffmpeg's H.264 decoder over the frames we assembled.
      expect(naiveCount(bytes)).toEqual({ packets: c.packets, video: c.video, audio: c.audio });
      const probe = ffprobeFrameCount(Buffer.concat(video.map((f) => f.data)));
      expect(probe).toEqual({ frames: c.video, width: c.size[0], height: c.size[1] });
      // Key frames start with an IDR, and each one is where the data type says I (0).
      expect(video.filter((f) => f.keyFrame).every((f) => f.dataType === 0)).toBe(true);
      if (c.audio) expect(new Set(audio.map((f) => f.data.length))).toEqual(new Set([160]));
    });
  }

  it('yields identical frames in every chunking (1 B, 7 B, 1 KB, random 1..64 KB)', () => {
    for (const c of CAPTURES) {
      const bytes = readCapture(c.file);
      const reference = run(bytes, () => bytes.length).frames.map(summary);
      expect(reference).toHaveLength(c.video + c.audio);
      for (const size of [1, 7, 1024]) expect(run(bytes, () => size).frames.map(summary)).toEqual(reference);
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: 65536 }), { minLength: 1, maxLength: 64 }), (sizes) => {
          let i = 0;
          const frames = run(bytes, () => sizes[i++ % sizes.length]!).frames.map(summary);
          expect(frames).toEqual(reference);
        }),
        { numRuns: 25 },
      );
    }
  });

  it('skips garbage between packets, counts it exactly, and loses no frame', () => {
    const bytes = readCapture(G711_CAPTURE);
    const reference = run(bytes, () => bytes.length).frames.map(summary);
    // Packet boundaries, from the demuxer's own offsets.
    const offsets: number[] = [];
    const d = new StreamDemuxer({ onPacket: (p) => offsets.push(p.offset) });
    d.push(bytes);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: offsets.length - 1 }),
        fc.uint8Array({ minLength: 1, maxLength: 3000 }).map((g) => g.map((v) => (v === 0x30 ? 0x31 : v))),
        fc.integer({ min: 1, max: 4096 }),
        (at, garbage, chunk) => {
          const cut = offsets[at]!;
          const mutated = Buffer.concat([bytes.subarray(0, cut), garbage, bytes.subarray(cut)]);
          const r = run(mutated, () => chunk);
          expect(r.demuxer.stats.skippedBytes).toBe(garbage.length);
          expect(r.faults.map((f) => [f.kind, f.offset, f.detail])).toEqual([['garbage', cut, `${garbage.length} bytes skipped`]]);
          expect(r.frames.map(summary)).toEqual(reference);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe.runIf(haveShared)('fuzz: mutated captures', () => {
  const source = readCapture(G711_CAPTURE).subarray(0, 64 * 1024);
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 2000 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 2000 }) }),
    fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 20000 }) }),
  );

  type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

  function mutate(input: Uint8Array, ms: readonly Mutation[]): Uint8Array {
    let b = Buffer.from(input);
    for (const m of ms) {
      const at = 'at' in m ? m.at % Math.max(1, b.length) : 0;
      if (m.kind === 'flip') b[at] = (b[at] ?? 0) ^ (1 << m.bit);
      else if (m.kind === 'truncate') b = b.subarray(0, at);
      else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
      else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]);
      else b = Buffer.from(m.bytes);
    }
    return b;
  }

  it('never throws, stays bounded, and reports every skipped byte as a fault', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 65536 }), (ms, chunk) => {
        const input = mutate(source, ms);
        const r = run(input, () => chunk);
        // Before the revision is known at most DETECT_LIMIT_BYTES (+ one read) wait; after, one packet.
        expect(r.maxBuffered).toBeLessThanOrEqual(Math.max(DETECT_LIMIT_BYTES + chunk, MAX_BODY_BYTES + 34));
        const s = r.demuxer.stats;
        const faultCount = Object.values(s.faults).reduce((a, b) => a + b, 0);
        if (s.skippedBytes > 0) expect(faultCount).toBeGreaterThan(0);
        // Every byte is a packet's, or skipped (and reported).
        expect(s.bytes).toBe(input.length);
        for (const f of r.frames) expect(f.data.length).toBeGreaterThan(0);
      }),
      { numRuns: 400 },
    );
  });
});
