import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { splitAnnexB, joinAnnexB, h264NalType, h265NalType } from '../annexb/index.js';
import { parseHevcConfig } from '../h265/index.js';
import { encodeAlaw, encodeUlaw } from '../g711/index.js';
import type { CodecName, MediaFrame } from '../codec/index.js';
import { FlvMuxer, type FlvMuxerTracks } from './flv-muxer.js';
import type { FlvHevcForm } from './flv-video.js';

const dir = mkdtempSync(path.join(tmpdir(), 'media-flv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FPS = 25;
const SECONDS = 4;

/** Access units of an ffmpeg-made elementary stream (AUDs inserted, split at each AUD). */
function videoFrames(codec: 'h264' | 'h265', size: string): MediaFrame[] {
  const file = path.join(dir, `v-${codec}-${size}.es`);
  const enc = codec === 'h264' ? ['-c:v', 'libx264', '-bsf:v', 'h264_metadata=aud=insert'] : ['-c:v', 'libx265', '-x265-params', 'log-level=error', '-bsf:v', 'hevc_metadata=aud=insert'];
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=${FPS}`, '-frames:v', String(FPS * SECONDS), '-g', '50', '-bf', '0', '-pix_fmt', 'yuv420p', ...enc, '-f', codec === 'h264' ? 'h264' : 'hevc', file]);
  const isAud = (u: Uint8Array) => (codec === 'h264' ? h264NalType(u) === 9 : h265NalType(u) === 35);
  const aus: Uint8Array[][] = [];
  for (const u of splitAnnexB(readFileSync(file))) {
    if (isAud(u) || aus.length === 0) aus.push([]);
    aus[aus.length - 1]!.push(u);
  }
  return aus.map((units, i) => {
    const first = units.find((u) => (codec === 'h264' ? h264NalType(u) >= 1 && h264NalType(u) <= 5 : h265NalType(u) < 32))!;
    const keyFrame = codec === 'h264' ? h264NalType(first) === 5 : h265NalType(first) >= 16 && h265NalType(first) <= 23;
    return { kind: 'video', codec, data: joinAnnexB(units), timestamp: 10_000 + i * 40, keyFrame };
  });
}

/** 20 ms G.711 frames of a 440 Hz tone, as a device sends them. */
function g711Frames(codec: 'g711a' | 'g711u'): MediaFrame[] {
  const frames: MediaFrame[] = [];
  for (let f = 0; f < (SECONDS * 1000) / 20; f++) {
    const pcm = new Int16Array(160);
    for (let i = 0; i < 160; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (f * 160 + i)) / 8000));
    frames.push({ kind: 'audio', codec, data: codec === 'g711a' ? encodeAlaw(pcm) : encodeUlaw(pcm), timestamp: 10_000 + f * 20, keyFrame: false });
  }
  return frames;
}

/** ADTS AAC made by ffmpeg, a device-sized packet (one ADTS frame) each. */
function aacFrames(): MediaFrame[] {
  const file = path.join(dir, 'a.aac');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=16000:duration=${SECONDS}`, '-c:a', 'aac', '-b:a', '32k', '-f', 'adts', file]);
  const bytes = readFileSync(file);
  const frames: MediaFrame[] = [];
  for (let o = 0, i = 0; o + 7 <= bytes.length; i++) {
    const len = ((bytes[o + 3]! & 3) << 11) | (bytes[o + 4]! << 3) | (bytes[o + 5]! >> 5);
    frames.push({ kind: 'audio', codec: 'aac', data: bytes.subarray(o, o + len), timestamp: 10_000 + i * 64, keyFrame: false });
    o += len;
  }
  return frames;
}

/** Interleaves by timestamp, as a device's frames arrive. */
function interleave(...tracks: MediaFrame[][]): MediaFrame[] {
  return tracks.flat().sort((a, b) => a.timestamp - b.timestamp || (a.kind === 'video' ? -1 : 1));
}

function mux(tracks: FlvMuxerTracks, frames: MediaFrame[], hevcForm?: FlvHevcForm): { bytes: Buffer; muxer: FlvMuxer } {
  const muxer = new FlvMuxer(tracks, hevcForm ? { hevcForm } : {});
  const tags = frames.flatMap((f) => muxer.push(f).map((t) => t.bytes));
  return { bytes: Buffer.concat([...muxer.preamble(), ...tags]), muxer };
}

interface ReadTag { type: number; timestamp: number; body: Buffer }

/** An independent reader: checks the header and every PreviousTagSize while walking the tags. */
function readFlv(bytes: Buffer): { flags: number; tags: ReadTag[] } {
  expect(bytes.subarray(0, 3).toString('latin1')).toBe('FLV');
  expect(bytes.readUInt32BE(5)).toBe(9);
  expect(bytes.readUInt32BE(9)).toBe(0);
  const tags: ReadTag[] = [];
  let o = 13;
  while (o < bytes.length) {
    const size = bytes.readUIntBE(o + 1, 3);
    const timestamp = (bytes.readUIntBE(o + 4, 3) | (bytes[o + 7]! << 24)) >>> 0;
    expect(bytes.readUIntBE(o + 8, 3)).toBe(0);
    tags.push({ type: bytes[o]!, timestamp, body: bytes.subarray(o + 11, o + 11 + size) });
    expect(bytes.readUInt32BE(o + 11 + size)).toBe(11 + size);
    o += 11 + size + 4;
  }
  expect(o).toBe(bytes.length);
  return { flags: bytes[4]!, tags };
}

function probe(file: string): Array<{ codec_name: string; width?: number; height?: number; sample_rate?: string; channels?: number }> {
  return (JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', file]).toString()) as { streams: [] }).streams;
}

/** Decodes the whole file; returns ffmpeg's error output and the decoded video frame count. */
function decode(file: string): { errors: string; videoFrames: number } {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8' });
  const count = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file]).toString().trim();
  return { errors: r.stderr.trim(), videoFrames: Number(count) };
}

const CASES: ReadonlyArray<{ name: string; video: 'h264'; audio?: CodecName; size: string; audioProbe?: { codec: string; rate: string } }> = [
  { name: 'H.264 + G.711A', video: 'h264', audio: 'g711a', size: '720x576', audioProbe: { codec: 'pcm_alaw', rate: '8000' } },
  { name: 'H.264 + G.711U', video: 'h264', audio: 'g711u', size: '352x288', audioProbe: { codec: 'pcm_mulaw', rate: '8000' } },
  { name: 'H.264 + AAC', video: 'h264', audio: 'aac', size: '352x288', audioProbe: { codec: 'aac', rate: '16000' } },
  { name: 'H.264 alone', video: 'h264', size: '640x360' },
];

describe('FlvMuxer against ffprobe and ffmpeg', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const video = videoFrames(c.video, c.size);
      const audio = c.audio === 'aac' ? aacFrames() : c.audio === 'g711a' || c.audio === 'g711u' ? g711Frames(c.audio) : [];
      const { bytes, muxer } = mux({ video: c.video, ...(c.audio ? { audio: c.audio } : {}) }, interleave(video, audio));
      const file = path.join(dir, `${c.name.replace(/\W+/g, '-')}.flv`);
      writeFileSync(file, bytes);

      const { flags, tags } = readFlv(bytes);
      expect(flags).toBe(c.audio ? 5 : 1);
      // Timestamps never go backwards within a track, and start at 0.
      for (const type of [8, 9]) {
        const ts = tags.filter((t) => t.type === type).map((t) => t.timestamp);
        expect(ts.every((t, i) => i === 0 || t >= ts[i - 1]!)).toBe(true);
      }
      expect(tags.filter((t) => t.type === 9 && t.body[1] === 1)).toHaveLength(video.length);
      expect(muxer.stats.unsupportedAudio).toBe(0);

      const streams = probe(file);
      const v = streams.find((s) => s.codec_name === 'h264')!;
      expect(`${v.width}x${v.height}`).toBe(c.size);
      if (c.audioProbe) {
        const a = streams.find((s) => s.codec_name === c.audioProbe!.codec)!;
        expect(a).toBeDefined();
        expect(a.sample_rate).toBe(c.audioProbe.rate);
        expect(a.channels).toBe(1);
      } else {
        expect(streams).toHaveLength(1);
      }
      const decoded = decode(file);
      expect(decoded.errors).toBe('');
      expect(decoded.videoFrames).toBe(video.length);
    });
  }

  it('starts at the first key frame: earlier video and audio are counted, not written', () => {
    const video = videoFrames('h264', '352x288');
    const firstKey = video.findIndex((f, i) => i > 0 && f.keyFrame);
    const late = video.slice(1); // joins mid-GOP: waits for the next key frame
    const { bytes, muxer } = mux({ video: 'h264', audio: 'g711a' }, interleave(late, g711Frames('g711a')));
    expect(muxer.stats.videoBeforeKeyFrame).toBe(firstKey - 1);
    expect(muxer.stats.audioBeforeVideo).toBeGreaterThan(0);
    const { tags } = readFlv(bytes);
    const firstFrame = tags.find((t) => t.type === 9 && t.body[1] === 1)!;
    expect(firstFrame.body[0]! >> 4).toBe(1); // key frame
    expect(firstFrame.timestamp).toBe(0);
  });

  it('leaves out audio FLV has no format for, and says so', () => {
    const video = videoFrames('h264', '352x288');
    const adpcm: MediaFrame[] = g711Frames('g711a').map((f) => ({ ...f, codec: 'adpcm' }));
    const { bytes, muxer } = mux({ video: 'h264', audio: 'adpcm' }, interleave(video, adpcm));
    expect(muxer.hasAudio).toBe(false);
    expect(muxer.stats.unsupportedAudio).toBe(adpcm.length);
    expect(readFlv(bytes).tags.some((t) => t.type === 8)).toBe(false);
  });

  it('H.265 as codec id 12: the classic layout, hvcC in the sequence header', () => {
    const video = videoFrames('h265', '352x288');
    const { bytes } = mux({ video: 'h265' }, video, 'codec-id-12');
    const { tags } = readFlv(bytes);
    const seq = tags.find((t) => t.type === 9)!;
    expect(seq.body[0]).toBe(0x1c); // key frame, codec id 12
    expect(seq.body[1]).toBe(0);
    expect(parseHevcConfig(seq.body.subarray(5)).sps).toHaveLength(1);
  });

  it('H.265 as enhanced FLV hvc1: the stream it carries decodes in ffmpeg', () => {
    const video = videoFrames('h265', '640x360');
    const { bytes } = mux({ video: 'h265' }, video, 'enhanced');
    const { tags } = readFlv(bytes);
    const videoTags = tags.filter((t) => t.type === 9);
    // ExVideoTagHeader: IsExHeader | FrameType | PacketType, FourCC hvc1.
    expect(videoTags[0]!.body[0]).toBe(0x80 | 0x10 | 0);
    expect(videoTags.every((t) => t.body.subarray(1, 5).toString('latin1') === 'hvc1')).toBe(true);
    // FFmpeg 5.1 (Debian 12) predates enhanced FLV, so rebuild Annex-B from the tags — hvcC
    // parameter sets, then each CodedFramesX sample's length-prefixed NAL units — and decode that.
    const config = parseHevcConfig(videoTags[0]!.body.subarray(5));
    const units: Uint8Array[] = [...config.vps, ...config.sps, ...config.pps];
    for (const t of videoTags.slice(1)) {
      expect(t.body[0]! & 0x0f).toBe(3);
      const sample = t.body.subarray(5);
      for (let o = 0; o < sample.length; ) {
        const n = sample.readUInt32BE(o);
        units.push(sample.subarray(o + 4, o + 4 + n));
        o += 4 + n;
      }
    }
    const file = path.join(dir, 'rebuilt.hevc');
    writeFileSync(file, joinAnnexB(units));
    const decoded = decode(file);
    expect(decoded.errors).toBe('');
    expect(decoded.videoFrames).toBe(video.length);
    expect(probe(file)[0]).toMatchObject({ codec_name: 'hevc', width: 640, height: 360 });
  });

  it('never throws on arbitrary frames, and writes well-formed tags whatever it gets', () => {
    const codecs = ['h264', 'h265', 'g711a', 'g711u', 'aac', 'adpcm'] as const;
    fc.assert(
      fc.property(
        fc.array(fc.record({ codec: fc.constantFrom(...codecs), data: fc.uint8Array({ maxLength: 300 }), timestamp: fc.integer({ min: 0, max: 2 ** 40 }), keyFrame: fc.boolean() }), { maxLength: 40 }),
        fc.constantFrom<FlvHevcForm>('enhanced', 'codec-id-12'),
        (raw, form) => {
          const muxer = new FlvMuxer({ video: 'h264', audio: 'aac' }, { hevcForm: form });
          let written = 0;
          let input = 0;
          for (const r of raw) {
            const kind = r.codec === 'h264' || r.codec === 'h265' ? 'video' : 'audio';
            input += r.data.length;
            for (const t of muxer.push({ kind, codec: r.codec, data: r.data, timestamp: r.timestamp, keyFrame: r.keyFrame })) written += t.bytes.length;
          }
          readFlv(Buffer.concat([...muxer.preamble()]));
          // Output is bounded by the input plus a tag header and sequence header per frame.
          expect(written).toBeLessThanOrEqual(input * 2 + raw.length * 64);
        },
      ),
      { numRuns: 300 },
    );
  });
});
