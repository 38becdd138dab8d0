import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeOpus } from './decode-opus.js';
import { OpusFrameEncoder } from './opus-frame-encoder.js';

const tone = (n: number) => Int16Array.from({ length: n }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 300 * i) / 8000)));

const CASES = [
  { name: 'no packets', packets: 0, rate: 48000 as const, samples: 0 },
  { name: 'one packet at 48 kHz', packets: 1, rate: 48000 as const, samples: 960 },
  { name: 'ten packets at 8 kHz', packets: 10, rate: 8000 as const, samples: 1600 },
  { name: 'five packets at 16 kHz', packets: 5, rate: 16000 as const, samples: 1600 },
];

describe('decodeOpus', () => {
  for (const c of CASES) {
    it(`${c.name}: ${c.samples} samples`, () => {
      const packets = new OpusFrameEncoder(8000).push(tone(160 * c.packets)).map((p) => p.data);
      expect(decodeOpus(packets, c.rate).length).toBe(c.samples);
    });
  }

  it('turns any number of encoded packets into 20 ms each at the asked rate (fuzz, cases as seeds)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...CASES.map((c) => c.packets)), fc.integer({ min: 0, max: 12 })), fc.constantFrom<8000 | 16000 | 48000>(8000, 16000, 48000), (n, rate) => {
        const packets = new OpusFrameEncoder(8000).push(tone(160 * n)).map((p) => p.data);
        const pcm = decodeOpus(packets, rate);
        expect(pcm.length).toBe((n * rate) / 50);
        expect(pcm.every((v) => v >= -32768 && v <= 32767)).toBe(true);
      }),
      { numRuns: 30 },
    );
  });
});
