import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { AdtsError, writeAdts } from '../aac/adts.js';
import { AdpcmError } from '../adpcm/adpcm-error.js';
import { encodeAlaw } from '../g711/alaw.js';
import { encodeUlaw } from '../g711/mulaw.js';
import { decodeOpus } from '../opus/decode-opus.js';
import { OPUS_PRE_SKIP } from '../opus/opus-frame-encoder.js';
import { AudioCodecUnsupported, AudioTranscoder, canTranscode } from './audio-transcoder.js';

const dir = mkdtempSync(path.join(tmpdir(), 'audio-transcoder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sine = (hz: number, seconds: number) => Int16Array.from({ length: Math.round(8000 * seconds) }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / 8000)));
const rms = (pcm: Int16Array) => Math.sqrt(pcm.reduce((s, v) => s + v * v, 0) / Math.max(1, pcm.length));

/** Device timestamps for 20 ms G.711 frames, and the Opus times they must give. */
const CLOCK_CASES = [
  { name: 'steady 20 ms', stamps: [0, 20, 40, 60], times: [0, 960, 1920, 2880], resyncs: 0 },
  { name: 'stalled and stepped back: time follows the samples', stamps: [0, 0, 0, -500], times: [0, 960, 1920, 2880], resyncs: 0 },
  { name: '3 s lost: the clock jumps forward once', stamps: [1000, 1020, 4020, 4040], times: [0, 960, 1920 + 2980 * 48, 2880 + 2980 * 48], resyncs: 1 },
];

function ffmpegG726(rate: number): Uint8Array {
  const pcm = path.join(dir, 'g726-in.raw');
  const coded = path.join(dir, `g726-${rate}.g726`);
  writeFileSync(pcm, sine(440, 1));
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 's16le', '-ar', '8000', '-ac', '1', '-i', pcm, '-c:a', 'g726', '-b:a', String(rate), '-f', 'g726', coded]);
  return new Uint8Array(readFileSync(coded));
}

describe('AudioTranscoder', () => {
  for (const c of CLOCK_CASES) {
    it(`G.711: ${c.name}`, () => {
      const t = new AudioTranscoder('g711a');
      const frame = encodeAlaw(sine(440, 0.02));
      const times = c.stamps.flatMap((ts) => t.push({ data: frame, timestamp: ts }).map((s) => s.time));
      expect(times).toEqual(c.times);
      expect(t.resyncs).toBe(c.resyncs);
      expect(t.track).toEqual({ codec: 'opus', sampleRate: 48000, channels: 1, preSkip: OPUS_PRE_SKIP, inputSampleRate: 8000 });
    });
  }

  for (const rate of [16000, 24000, 32000, 40000]) {
    it(`G.726 at ${rate / 1000} kbit/s (AAL2, rate read from the stream) becomes Opus that decodes to the tone`, () => {
      const bytes = ffmpegG726(rate);
      const frame = (rate / 8000) * 40; // 40 ms
      const t = new AudioTranscoder('g726');
      const out = [];
      for (let i = 0; i < bytes.length; i += frame) out.push(...t.push({ data: bytes.subarray(i, i + frame), timestamp: 5000 + (i / frame) * 40 }));
      expect(out).toHaveLength(50);
      expect(rms(decodeOpus(out.map((s) => s.data)).subarray(OPUS_PRE_SKIP))).toBeGreaterThan(0.5 * rms(sine(440, 1)));
    });
  }

  it('passes AAC through, timed 1024 samples a frame at its own rate', () => {
    const t = new AudioTranscoder('aac');
    const adts = writeAdts({ objectType: 2, sampleRateIndex: 8, channelConfig: 1 }, new Uint8Array(20).fill(1));
    const out = [0, 64, 128].flatMap((ts) => t.push({ data: adts, timestamp: ts }));
    expect(out.map((s) => [s.time, s.duration, s.data.length])).toEqual([[0, 1024, 20], [1024, 1024, 20], [2048, 1024, 20]]);
    expect(t.track).toMatchObject({ codec: 'aac', sampleRate: 16000, channels: 1 });
    expect(t.samplesOf(adts, 0)).toEqual({ samples: 1024, rate: 16000 });
  });

  it('restarts an epoch primed by pre-roll: the first output holds only the epoch\'s own audio', () => {
    const t = new AudioTranscoder('g711u');
    const frame = encodeUlaw(sine(440, 0.025));
    for (let i = 0; i < 10; i++) t.push({ data: frame, timestamp: i * 25 });
    // 3 pre-roll frames = 600 samples: cut to 480 (three 20 ms frames) at its start.
    t.restart([{ data: frame }, { data: frame }, { data: frame }]);
    const out = t.push({ data: frame, timestamp: 1000 });
    expect(out.map((s) => s.time)).toEqual([0]);
    expect(t.discardedSamples).toBe((10 * 200) % 160);
  });

  it('refuses codecs it cannot package', () => {
    expect(() => new AudioTranscoder('mp3')).toThrow(AudioCodecUnsupported);
    expect(['g711a', 'g711u', 'g726', 'adpcm', 'aac', 'mp3', 'g722'].filter(canTranscode)).toEqual(['g711a', 'g711u', 'g726', 'adpcm', 'aac']);
  });

  it('never throws but typed errors, and its output time never goes back (fuzz, cases as seeds)', () => {
    const stamps = fc.oneof(fc.constantFrom(...CLOCK_CASES.map((c) => c.stamps)), fc.array(fc.integer({ min: -5000, max: 100_000 }), { maxLength: 10 }));
    fc.assert(
      fc.property(fc.constantFrom('g711a', 'g711u', 'adpcm', 'g726', 'aac'), stamps, fc.array(fc.uint8Array({ maxLength: 500 }), { minLength: 10, maxLength: 10 }), (codec, ts, datas) => {
        const t = new AudioTranscoder(codec);
        let last = -1;
        ts.forEach((timestamp, i) => {
          try {
            for (const s of t.push({ data: datas[i]!, timestamp })) {
              expect(s.time).toBeGreaterThan(last);
              last = s.time;
            }
          } catch (e) {
            expect(e instanceof AdpcmError || e instanceof AdtsError).toBe(true);
          }
        });
      }),
      { numRuns: 60 },
    );
  });
});
