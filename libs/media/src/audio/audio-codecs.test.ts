import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AdtsError, audioSpecificConfig, parseAdts, writeAdts } from '../aac/index.js';
import { Dvi4Encoder, decodeDvi4 } from '../adpcm/index.js';
import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from '../g711/index.js';
import { OPUS_PRE_SKIP, OpusFrameEncoder, decodeOpus } from '../opus/index.js';
import { AudioCodecUnsupported, AudioTranscoder } from './index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'media-audio-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sine(hz: number, seconds: number, rate = 8000, amplitude = 8000): Int16Array {
  return Int16Array.from({ length: Math.round(rate * seconds) }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate)));
}

function rms(pcm: Int16Array): number {
  let s = 0;
  for (const v of pcm) s += v * v;
  return Math.sqrt(s / Math.max(1, pcm.length));
}

function snrDb(ref: Int16Array, test: Int16Array): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < ref.length; i++) {
    signal += ref[i]! ** 2;
    noise += (ref[i]! - test[i]!) ** 2;
  }
  return 10 * Math.log10(signal / Math.max(1, noise));
}

function ffmpegDecode(format: 'alaw' | 'mulaw', bytes: Uint8Array): Int16Array {
  const file = path.join(dir, `in.${format}`);
  writeFileSync(file, bytes);
  const out = execFileSync('ffmpeg', ['-v', 'error', '-f', format, '-ar', '8000', '-ac', '1', '-i', file, '-f', 's16le', '-']);
  return new Int16Array(out.buffer, out.byteOffset, out.length / 2);
}

describe('G.711', () => {
  const every = Uint8Array.from({ length: 256 }, (_, i) => i);
  it('decodes all 256 A-law and µ-law codes exactly as ffmpeg does', () => {
    expect([...decodeAlaw(every)]).toEqual([...ffmpegDecode('alaw', every)]);
    expect([...decodeUlaw(every)]).toEqual([...ffmpegDecode('mulaw', every)]);
  });

  it('encodes so that decoding returns every code unchanged', () => {
    expect([...encodeAlaw(decodeAlaw(every))]).toEqual([...every]);
    expect([...encodeUlaw(decodeUlaw(every))]).toEqual([...every.map((c) => (c === 0x7f ? 0xff : c))]);
    expect(snrDb(sine(440, 0.5), decodeAlaw(encodeAlaw(sine(440, 0.5))))).toBeGreaterThan(30);
  });
});

describe('IMA ADPCM (DVI4)', () => {
  it('round-trips a tone through encoder and decoder at > 20 dB SNR, block after block', () => {
    const tone = sine(440, 1);
    const enc = new Dvi4Encoder();
    const decoded = new Int16Array(tone.length);
    for (let i = 0; i < tone.length; i += 160) decoded.set(decodeDvi4(enc.encode(tone.subarray(i, i + 160))), i);
    expect(snrDb(tone, decoded)).toBeGreaterThan(20);
  });

  it('takes blocks with the HiSilicon header too', () => {
    const block = new Dvi4Encoder().encode(sine(440, 0.02));
    const withHeader = Uint8Array.from([0, 1, block.length / 2, 0, ...block]);
    expect([...decodeDvi4(withHeader)]).toEqual([...decodeDvi4(block)]);
    expect(() => decodeDvi4(new Uint8Array(3))).toThrow(/shorter than its header/);
  });
});

describe('Opus', () => {
  it('encodes 8 kHz voice in 20 ms packets on the 48 kHz clock, and decodes back to the tone', () => {
    const enc = new OpusFrameEncoder(8000);
    const packets = [...enc.push(sine(440, 0.5)), ...enc.push(sine(440, 0.5))];
    expect(packets).toHaveLength(50);
    expect(packets.map((p) => p.time48k).slice(0, 3)).toEqual([0, 960, 1920]);
    expect(packets.every((p) => p.duration48k === 960 && p.data.length > 0 && p.data.length < 100)).toBe(true);
    const pcm = decodeOpus(packets.map((p) => p.data));
    expect(pcm.length).toBe(48000);
    expect(rms(pcm.subarray(OPUS_PRE_SKIP))).toBeGreaterThan(0.5 * rms(sine(440, 1)));
  });
});

describe('AAC ADTS', () => {
  it('splits what ffmpeg writes into as many frames as ffprobe counts', () => {
    const file = path.join(dir, 'tone.aac');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000:duration=2', '-c:a', 'aac', '-f', 'adts', file]);
    const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_streams', '-of', 'json', file]).toString()) as { streams: Array<{ nb_read_frames: string }> };
    const frames = parseAdts(new Uint8Array(readFileSync(file)));
    expect(frames).toHaveLength(Number(probe.streams[0]!.nb_read_frames));
    expect(frames[0]).toMatchObject({ objectType: 2, sampleRate: 16000, channelConfig: 1 });
    expect([...audioSpecificConfig(frames[0]!)]).toEqual([0x14, 0x08]);
    const rewritten = writeAdts(frames[0]!, frames[0]!.payload);
    expect(parseAdts(rewritten)[0]!.payload).toEqual(frames[0]!.payload);
    expect(() => parseAdts(new Uint8Array([1, 2, 3, 4, 5, 6, 7]))).toThrow(AdtsError);
  });
});

describe('AudioTranscoder', () => {
  it('turns G.711A frames into monotonic Opus samples, resyncing forward after a gap', () => {
    const t = new AudioTranscoder('g711a');
    const frame = encodeAlaw(sine(440, 0.02));
    const out = [];
    for (let i = 0; i < 50; i++) out.push(...t.push({ data: frame, timestamp: 1000 + i * 20 }));
    // 3 s of lost audio, then the device carries on.
    for (let i = 0; i < 10; i++) out.push(...t.push({ data: frame, timestamp: 5000 + i * 20 }));
    expect(t.track).toEqual({ codec: 'opus', sampleRate: 48000, channels: 1, preSkip: OPUS_PRE_SKIP, inputSampleRate: 8000 });
    expect(out).toHaveLength(60);
    expect(t.resyncs).toBe(1);
    for (let i = 1; i < out.length; i++) expect(out[i]!.time).toBeGreaterThan(out[i - 1]!.time);
    expect(out[50]!.time - out[49]!.time).toBe(960 + ((5000 - 1000 - 50 * 20) * 48));
    // A stalled or stepped-back device clock changes nothing: time follows the samples.
    const stalled = new AudioTranscoder('g711u');
    const times = [0, 0, 0, -500].flatMap((ts) => stalled.push({ data: encodeUlaw(sine(440, 0.02)), timestamp: ts }).map((s) => s.time));
    expect(times).toEqual([0, 960, 1920, 2880]);
  });

  function ffmpegG726(rate: number, format: 'g726' | 'g726le'): Uint8Array {
    const pcm = path.join(dir, 'g726-in.raw');
    const coded = path.join(dir, `g726-${rate}.${format}`);
    writeFileSync(pcm, sine(440, 1));
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 's16le', '-ar', '8000', '-ac', '1', '-i', pcm, '-c:a', format, '-b:a', String(rate), '-f', format, coded]);
    return new Uint8Array(readFileSync(coded));
  }

  for (const rate of [16000, 24000, 32000, 40000]) {
    it(`turns G.726 at ${rate / 1000} kbit/s (AAL2 packing, rate read from the stream) into Opus that decodes to the tone`, () => {
      const bytes = ffmpegG726(rate, 'g726');
      const frame = (rate / 8000) * 40; // 40 ms
      const t = new AudioTranscoder('g726');
      const out = [];
      for (let i = 0; i < bytes.length; i += frame) out.push(...t.push({ data: bytes.subarray(i, i + frame), timestamp: 5000 + (i / frame) * 40 }));
      expect(out).toHaveLength(50);
      expect(rms(decodeOpus(out.map((s) => s.data)).subarray(OPUS_PRE_SKIP))).toBeGreaterThan(0.5 * rms(sine(440, 1)));
    });
  }

  it('takes G.726 in RFC 3551 packing and a pinned rate when configured so', () => {
    const bytes = ffmpegG726(32000, 'g726le');
    const pinned = new AudioTranscoder('g726', { g726Rate: 32000, g726Packing: 'le' });
    const out = [];
    // 20 ms frames: without the pin, the first would be read as 40 ms of 16 kbit/s.
    for (let i = 0; i < bytes.length; i += 80) out.push(...pinned.push({ data: bytes.subarray(i, i + 80), timestamp: (i / 80) * 20 }));
    expect(out).toHaveLength(50);
    expect(rms(decodeOpus(out.map((s) => s.data)).subarray(OPUS_PRE_SKIP))).toBeGreaterThan(0.5 * rms(sine(440, 1)));
  });

  it('refuses codecs it cannot package', () => {
    expect(() => new AudioTranscoder('mp3')).toThrow(AudioCodecUnsupported);
  });
});
