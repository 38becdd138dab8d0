/**
 * `jt1078 package` output checked with ffprobe/ffmpeg, for both real captures and the
 * project-made ones: codec, size, frame count, duration from the JT1078 timestamps, an audio
 * track that decodes to the source's length (within one 20 ms frame), ends within 100 ms of the
 * video and keeps the source's level (within 2 dB); and the same capture packaged twice gives
 * the same bytes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StreamDemuxer, concatBytes, encodePacket, inspectCapture, readCapture, type Jt1078Packet } from '@jt1078/jt1078';
import { G711_CAPTURE, H264_CAPTURE, sharedTestdataAvailable } from '../libs/jt1078/src/testdata/generate-captures.js';
import { packageCapture } from '../services/all-in-one/src/commands/package.js';
import type { AudioDecodeOptions } from '@jt1078/media/audio';
import { MEDIA_TESTDATA, SOURCE_AMPLITUDE } from './fixtures/make-media-captures.js';

const work = mkdtempSync(path.join(tmpdir(), 'package-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Probe {
  streams: Array<{ codec_name: string; codec_type: string; width?: number; height?: number; nb_read_frames?: string; sample_rate?: string }>;
  format: { duration: string };
}

function probe(playlist: string): Probe {
  return JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_streams', '-show_format', '-of', 'json', playlist]).toString()) as Probe;
}

/** Decoded audio: its length in seconds and its mean volume in dB (ffmpeg's volumedetect). */
function decodedAudio(playlist: string): { seconds: number; meanDb: number } {
  const pcm = execFileSync('ffmpeg', ['-v', 'error', '-i', playlist, '-map', '0:a', '-f', 's16le', '-ac', '1', '-ar', '48000', '-'], { maxBuffer: 64 << 20 });
  const log = spawnSync('ffmpeg', ['-i', playlist, '-map', '0:a', '-af', 'volumedetect', '-f', 'null', '-']).stderr.toString();
  return { seconds: pcm.length / 2 / 48000, meanDb: Number(/mean_volume: (-?[\d.]+) dB/.exec(log)?.[1] ?? Number.NEGATIVE_INFINITY) };
}

/** Where a track ends (s): its last packet's presentation time plus its duration, as ffprobe reads them. */
function trackEnd(playlist: string, track: 'a' | 'v'): number {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', `${track}:0`, '-show_entries', 'packet=pts_time,duration_time', '-of', 'csv=p=0', playlist], { maxBuffer: 16 << 20 }).toString();
  const rows = out.trim().split('\n').map((l) => l.split(',').map(Number)).sort((x, y) => x[0]! - y[0]!);
  const [pts, duration] = rows[rows.length - 1]!;
  // Opus packets carry no duration here: the last one lasts as long as the step before it.
  return pts! + (Number.isFinite(duration) ? duration! : pts! - rows[rows.length - 2]![0]!);
}

interface Case {
  readonly name: string;
  readonly file: string;
  readonly shared?: boolean;
  readonly video: { codec: string; width: number; height: number; frames: number };
  /** Expected duration (s), from the JT1078 timestamps: last minus first plus one frame. */
  readonly duration: number;
  readonly audio?: { codec: string; sourceSeconds: number; bitRate?: number };
  /** How to read the audio where the stream does not say (as `jt1078.audio` would configure). */
  readonly options?: AudioDecodeOptions;
}

/** The project-made captures' audio: a sine of SOURCE_AMPLITUDE, whose mean volume is its RMS in dBFS. */
const SOURCE_DB = 20 * Math.log10(SOURCE_AMPLITUDE / Math.SQRT2 / 32768);
const VIDEO_320 = { codec: 'h264', width: 320, height: 240, frames: 50 };

const CASES: Case[] = [
  { name: 'real H.264', file: H264_CAPTURE, shared: true, video: { codec: 'h264', width: 720, height: 576, frames: 101 }, duration: 4.212 },
  {
    name: 'real H.264 + G.711A', file: G711_CAPTURE, shared: true, video: { codec: 'h264', width: 720, height: 576, frames: 102 }, duration: 4.254,
    audio: { codec: 'opus', sourceSeconds: (214 * 160) / 8000 },
  },
  { name: 'H.265 + AAC', file: path.join(MEDIA_TESTDATA, 'h265-aac.bin'), video: { codec: 'hevc', width: 320, height: 240, frames: 50 }, duration: 2, audio: { codec: 'aac', sourceSeconds: (33 * 1024) / 16000 } },
  { name: 'H.264 + IMA ADPCM with HiSilicon header', file: path.join(MEDIA_TESTDATA, 'h264-adpcm-hisilicon.bin'), video: { codec: 'h264', width: 320, height: 240, frames: 50 }, duration: 2, audio: { codec: 'opus', sourceSeconds: 2 } },
  { name: 'H.264 + G.711 µ-law', file: path.join(MEDIA_TESTDATA, 'h264-g711u.bin'), video: { codec: 'h264', width: 320, height: 240, frames: 50 }, duration: 2, audio: { codec: 'opus', sourceSeconds: 2 } },
  { name: 'H.264 + G.711A with stalling device timestamps', file: path.join(MEDIA_TESTDATA, 'h264-stalled.bin'), video: { codec: 'h264', width: 320, height: 240, frames: 50 }, duration: 2, audio: { codec: 'opus', sourceSeconds: 2 } },
  ...[16, 24, 32, 40].flatMap((kbit) =>
    (['aal2', 'rfc3551'] as const).map((packing): Case => ({
      name: `H.264 + G.726 ${kbit} kbit/s, ${packing} packing`,
      file: path.join(MEDIA_TESTDATA, `h264-g726-${kbit}-${packing}.bin`),
      video: VIDEO_320, duration: 2, audio: { codec: 'opus', sourceSeconds: 2, bitRate: kbit * 1000 },
      // The rate is read from the stream; RFC 3551 packing is the one a device would be configured for.
      ...(packing === 'rfc3551' ? { options: { g726Packing: 'le' } } : {}),
    })),
  ),
  { name: '2019 revision, no marker bits, G.711A stamped in bursts', file: path.join(MEDIA_TESTDATA, '2019-g711a-bursty.bin'), video: VIDEO_320, duration: 2, audio: { codec: 'opus', sourceSeconds: 2 } },
  { name: 'CSV capture (BOM, header line) of H.264 + G.711 µ-law', file: path.join(MEDIA_TESTDATA, 'h264-g711u.csv'), video: VIDEO_320, duration: 2, audio: { codec: 'opus', sourceSeconds: 2 } },
];

const haveShared = sharedTestdataAvailable();
const measured: string[] = [];
afterAll(() => console.log(measured.join('\n')));

describe('jt1078 package, checked with ffprobe', () => {
  for (const c of CASES) {
    it.runIf(!c.shared || haveShared)(c.name, () => {
      const out = path.join(work, c.name.replace(/\W+/g, '-'));
      const bytes = readCapture(c.file);
      const [result] = packageCapture(bytes, out, c.options ? { audio: c.options } : {});
      const playlist = path.join(out, 'index.m3u8');
      const p = probe(playlist);
      const video = p.streams.find((s) => s.codec_type === 'video')!;
      expect({ codec: video.codec_name, width: video.width, height: video.height, frames: Number(video.nb_read_frames) }).toEqual(c.video);
      // The last frame lasts as long as the one before it, so duration = span + one frame.
      expect(Number(p.format.duration)).toBeCloseTo(c.duration, 1);
      expect(result!.durationSec).toBeCloseTo(Number(p.format.duration), 2);
      if (c.audio) {
        const audio = p.streams.find((s) => s.codec_type === 'audio')!;
        expect(audio.codec_name).toBe(c.audio.codec);
        const decoded = decodedAudio(playlist);
        expect(Math.abs(decoded.seconds - c.audio.sourceSeconds)).toBeLessThanOrEqual(0.02 + 1e-9);
        expect(decoded.meanDb).toBeGreaterThan(-40);
        // Audio and video end together: the last audio packet's end within 100 ms of the last
        // video frame's (AAC carries its encoder's priming frame, 64 ms here, so it is held to
        // its source length above).
        if (c.audio.codec === 'opus') expect(Math.abs(trackEnd(playlist, 'a') - trackEnd(playlist, 'v'))).toBeLessThanOrEqual(0.1);
        // The project-made captures carry a known tone: its level survives decoding and Opus.
        if (!c.shared && c.audio.codec === 'opus') expect(Math.abs(decoded.meanDb - SOURCE_DB)).toBeLessThanOrEqual(2);
      } else {
        expect(p.streams.filter((s) => s.codec_type === 'audio')).toEqual([]);
      }
      // Same capture, same bytes.
      const again = path.join(out, 'again');
      packageCapture(bytes, again, c.options ? { audio: c.options } : {});
      for (const f of readdirSync(out).filter((n) => n !== 'again')) {
        expect(Buffer.compare(readFileSync(path.join(out, f)), readFileSync(path.join(again, f))), f).toBe(0);
      }
      // inspect agrees with ffprobe on the frame count.
      expect(inspectCapture(bytes).streams[0]!.video!.frames).toBe(c.video.frames);
      // G.726: inspect names the rate the stream shows.
      if (c.audio?.bitRate) expect(inspectCapture(bytes).streams[0]!.audio!.bitRate).toBe(c.audio.bitRate);
      measured.push(`${c.name}: video ends ${trackEnd(playlist, 'v').toFixed(3)} s` + (c.audio ? `, audio ends ${trackEnd(playlist, 'a').toFixed(3)} s, ${decodedAudio(playlist).meanDb} dB (source ${SOURCE_DB.toFixed(1)})` : ''));
    });
  }
});

describe('jt1078 package, device timestamps of 2^53 ms and more', () => {
  it('times the capture from their exact differences (a double would merge frames 40 ms apart)', () => {
    const packets: Jt1078Packet[] = [];
    const demuxer = new StreamDemuxer({ onPacket: (p) => packets.push(p) });
    demuxer.push(readCapture(path.join(MEDIA_TESTDATA, 'h264-g711u.bin')));
    demuxer.end();
    const shifted = concatBytes(packets.map((p) => encodePacket({ ...p, timestamp: 2n ** 60n + BigInt(p.timestamp ?? 0) }, p.body)));
    expect(inspectCapture(shifted).streams[0]!.video!.firstTimestamp).toBe((2n ** 60n).toString());
    const out = path.join(work, 'huge-timestamps');
    packageCapture(shifted, out);
    const playlist = path.join(out, 'index.m3u8');
    expect(Number(probe(playlist).format.duration)).toBeCloseTo(2, 1);
    expect(Math.abs(trackEnd(playlist, 'a') - trackEnd(playlist, 'v'))).toBeLessThanOrEqual(0.1);
  });
});
