import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeOpus } from './decode-opus.js';
import { OPUS_CLOCK_RATE, OPUS_PRE_SKIP, OpusFrameEncoder } from './opus-frame-encoder.js';

const sine = (hz: number, n: number, rate: number) => Int16Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / rate)));
const rms = (pcm: Int16Array) => Math.sqrt(pcm.reduce((s, v) => s + v * v, 0) / Math.max(1, pcm.length));

const CASES = [
  { name: '8 kHz voice in two halves', rate: 8000 as const, pushes: [4000, 4000], packets: 50 },
  { name: '16 kHz, 30 ms reads', rate: 16000 as const, pushes: [480, 480, 480, 480], packets: 6 },
  { name: '48 kHz, one sample short of a frame', rate: 48000 as const, pushes: [959], packets: 0 },
  { name: 'nothing', rate: 8000 as const, pushes: [0], packets: 0 },
];

describe('OpusFrameEncoder', () => {
  for (const c of CASES) {
    it(`${c.name}: 20 ms packets on the 48 kHz clock, the rest pending`, () => {
      const enc = new OpusFrameEncoder(c.rate);
      const total = c.pushes.reduce((a, b) => a + b, 0);
      const tone = sine(440, total, c.rate);
      const packets = [];
      let at = 0;
      for (const n of c.pushes) {
        packets.push(...enc.push(tone.subarray(at, at + n)));
        at += n;
      }
      expect(packets).toHaveLength(c.packets);
      expect(packets.map((p) => p.time48k)).toEqual(packets.map((_, i) => i * 960));
      expect(packets.every((p) => p.duration48k === 960 && p.data.length > 0 && p.data.length < 200)).toBe(true);
      expect(enc.pendingSamples).toBe(total % ((c.rate * 20) / 1000));
    });
  }

  it('encodes a tone that decodes back at its level', () => {
    const enc = new OpusFrameEncoder(8000);
    const packets = enc.push(sine(440, 8000, 8000));
    const pcm = decodeOpus(packets.map((p) => p.data));
    expect(pcm.length).toBe(OPUS_CLOCK_RATE);
    expect(rms(pcm.subarray(OPUS_PRE_SKIP))).toBeGreaterThan(0.5 * rms(sine(440, 8000, 8000)));
  });

  it('any reads give one packet per whole 20 ms, contiguous in time (fuzz, cases as seeds)', () => {
    const reads = fc.oneof(fc.constantFrom(...CASES.map((c) => c.pushes)), fc.array(fc.integer({ min: 0, max: 700 }), { maxLength: 8 }));
    fc.assert(
      fc.property(reads, (sizes) => {
        const enc = new OpusFrameEncoder(8000);
        const times: number[] = [];
        for (const n of sizes) for (const p of enc.push(new Int16Array(n).fill(100))) times.push(p.time48k);
        const total = sizes.reduce((a, b) => a + b, 0);
        expect(times).toEqual(Array.from({ length: Math.floor(total / 160) }, (_, i) => i * 960));
        expect(enc.pendingSamples).toBe(total % 160);
      }),
      { numRuns: 40 },
    );
  });
});
