import { describe, expect, it } from 'vitest';
import { Dvi4Encoder } from '../adpcm/index.js';
import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from '../g711/index.js';
import { G726Encoder } from '../g726/index.js';
import { decodeOpus } from '../opus/index.js';
import { RtpAudioEncoder, RtpAudioUnsupported, canSendAsRtpAudio, type RtpAudioPayload } from './rtp-audio-encoder.js';

function sine(hz: number, samples: number, from = 0): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * hz * (from + i)) / 8000)));
}

function rms(pcm: Int16Array): number {
  let s = 0;
  for (const v of pcm) s += v * v;
  return Math.sqrt(s / Math.max(1, pcm.length));
}

/** One second of a 440 Hz tone as a device sends it: `frameMs` frames from device time `startMs`. */
function deviceFrames(encode: (pcm: Int16Array) => Uint8Array, frameMs: number, startMs = 5000): Array<{ data: Uint8Array; timestamp: number }> {
  const samples = frameMs * 8;
  return Array.from({ length: 1000 / frameMs }, (_, i) => ({ data: encode(sine(440, samples, i * samples)), timestamp: startMs + i * frameMs }));
}

const adpcm = new Dvi4Encoder('le');
const g726 = new G726Encoder(32000, 'be');
const sources = [
  { codec: 'g711a', frames: deviceFrames(encodeAlaw, 40) },
  { codec: 'g711u', frames: deviceFrames(encodeUlaw, 40) },
  { codec: 'adpcm', frames: deviceFrames((pcm) => adpcm.encode(pcm), 40) },
  { codec: 'g726', frames: deviceFrames((pcm) => g726.encode(pcm), 40) },
];

describe('RtpAudioEncoder: device audio as the receiver negotiated it', () => {
  for (const { codec, frames } of sources) {
    it(`${codec} → Opus: 20 ms packets, 960 ticks apart on the 48 kHz clock from the first frame's time, that decode to the tone`, () => {
      const encoder = new RtpAudioEncoder('opus', codec, { g726Rate: 32000 });
      const out: RtpAudioPayload[] = frames.flatMap((f) => encoder.push(f));
      expect(out).toHaveLength(50);
      expect(out[0]!.rtpTimestamp).toBe(5000 * 48);
      for (let i = 1; i < out.length; i++) expect(out[i]!.rtpTimestamp - out[i - 1]!.rtpTimestamp).toBe(960);
      const pcm = decodeOpus(out.map((p) => p.payload));
      expect(pcm).toHaveLength(48000);
      // The tone's RMS is 8000/√2 ≈ 5657; what the lossy codecs keep of it is well above silence.
      expect(rms(pcm.subarray(4800))).toBeGreaterThan(3000);
      expect(encoder.resyncs).toBe(0);
    });
  }

  it('passes G.711 through in its own law: the same bytes, 8 kHz timestamps from the device time', () => {
    const frames = sources[0]!.frames;
    const encoder = new RtpAudioEncoder('pcma', 'g711a');
    const out = frames.map((f) => encoder.push(f));
    expect(out.every((p, i) => p.length === 1 && p[0]!.payload === frames[i]!.data && p[0]!.rtpTimestamp === frames[i]!.timestamp * 8)).toBe(true);
  });

  it('converts G.711 of the other law, ADPCM and G.726 to PCMA/PCMU sample for sample', () => {
    const ulaw = new RtpAudioEncoder('pcmu', 'g711a');
    const frame = sources[0]!.frames[3]!;
    const [p] = ulaw.push(frame);
    expect(p!.rtpTimestamp).toBe(frame.timestamp * 8);
    const back = decodeUlaw(p!.payload);
    const ref = decodeAlaw(frame.data);
    expect(back).toHaveLength(320);
    for (let i = 0; i < ref.length; i++) expect(Math.abs(back[i]! - ref[i]!)).toBeLessThanOrEqual(Math.abs(ref[i]!) / 16 + 8);
    const fromAdpcm = new RtpAudioEncoder('pcma', 'adpcm');
    const adpcmOut = sources[2]!.frames.flatMap((f) => fromAdpcm.push(f));
    expect(adpcmOut).toHaveLength(25);
    expect(rms(decodeAlaw(adpcmOut[10]!.payload))).toBeGreaterThan(3000);
  });

  it('jumps its Opus clock forward when the device time runs a second ahead of the samples (audio lost upstream)', () => {
    const encoder = new RtpAudioEncoder('opus', 'g711a');
    const frames = sources[0]!.frames;
    const before = frames.slice(0, 10).flatMap((f) => encoder.push(f));
    const after = frames.slice(10, 12).flatMap((f) => encoder.push({ data: f.data, timestamp: f.timestamp + 3000 }));
    expect(encoder.resyncs).toBe(1);
    expect(after[0]!.rtpTimestamp - before[before.length - 1]!.rtpTimestamp).toBeGreaterThan(3000 * 48);
  });

  it('refuses AAC (no decoder here) with a typed error, and says which codecs it can carry', () => {
    expect(() => new RtpAudioEncoder('opus', 'aac')).toThrow(RtpAudioUnsupported);
    expect(['g711a', 'g711u', 'adpcm', 'g726', 'aac'].map(canSendAsRtpAudio)).toEqual([true, true, true, true, false]);
  });
});
