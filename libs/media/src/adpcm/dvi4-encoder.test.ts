import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AdpcmError } from './adpcm-error.js';
import { decodeDvi4, dvi4BlockState, type AdpcmByteOrder } from './dvi4-decoder.js';
import { Dvi4Encoder } from './dvi4-encoder.js';

const sine = (hz: number, n: number, amplitude: number) => Int16Array.from({ length: n }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / 8000)));

function snrDb(ref: Int16Array, test: Int16Array): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < ref.length; i++) {
    signal += ref[i]! ** 2;
    noise += (ref[i]! - test[i]!) ** 2;
  }
  return 10 * Math.log10(signal / Math.max(1, noise));
}

const CASES = [
  { name: '440 Hz voice level, little-endian (devices)', pcm: sine(440, 8000, 8000), order: 'le' as AdpcmByteOrder, minSnr: 20 },
  { name: '1 kHz near full scale, big-endian (RFC 3551)', pcm: sine(1000, 8000, 30000), order: 'be' as AdpcmByteOrder, minSnr: 15 },
  { name: 'quiet 200 Hz', pcm: sine(200, 8000, 300), order: 'le' as AdpcmByteOrder, minSnr: 15 },
];

/** Encodes in 160-sample blocks (20 ms), as a device sends them, and decodes them back. */
function roundTrip(pcm: Int16Array, order: AdpcmByteOrder): { blocks: Uint8Array[]; decoded: Int16Array } {
  const enc = new Dvi4Encoder(order);
  const blocks: Uint8Array[] = [];
  const decoded = new Int16Array(pcm.length - (pcm.length % 2));
  for (let i = 0; i + 1 < pcm.length; i += 160) {
    const block = enc.encode(pcm.subarray(i, Math.min(pcm.length - (pcm.length % 2), i + 160)));
    blocks.push(block);
    decoded.set(decodeDvi4(block, order), i);
  }
  return { blocks, decoded };
}

describe('DVI4 encoder', () => {
  for (const c of CASES) {
    it(`${c.name}: SNR above ${c.minSnr} dB, every block's header the state it starts from`, () => {
      const { blocks, decoded } = roundTrip(c.pcm, c.order);
      expect(snrDb(c.pcm, decoded)).toBeGreaterThan(c.minSnr);
      expect(dvi4BlockState(blocks[0]!, c.order)).toEqual({ predictor: 0, index: 0 });
      // The predictor after block 1 is its last sample, written in the chosen byte order.
      const last = decoded[159]!;
      const lo = last & 0xff;
      const hi = (last >> 8) & 0xff;
      expect([...blocks[1]!.subarray(0, 2)]).toEqual(c.order === 'le' ? [lo, hi] : [hi, lo]);
    });
  }

  it('refuses an odd number of samples with a typed error', () => {
    expect(() => new Dvi4Encoder().encode(new Int16Array(3))).toThrow(AdpcmError);
  });

  it('makes 4 + n/2 bytes for any even PCM, and decoding stays near it (fuzz, cases as seeds)', () => {
    const pcm = fc.oneof(fc.constantFrom(...CASES.map((c) => c.pcm.subarray(0, 320))), fc.int16Array({ maxLength: 400 }));
    fc.assert(
      fc.property(pcm, fc.constantFrom<AdpcmByteOrder>('le', 'be'), (samples, order) => {
        const even = samples.subarray(0, samples.length - (samples.length % 2));
        const block = new Dvi4Encoder(order).encode(even);
        expect(block.length).toBe(4 + even.length / 2);
        if (even.length > 0) expect(decodeDvi4(block, order).length).toBe(even.length);
      }),
      { numRuns: 500 },
    );
  });
});
