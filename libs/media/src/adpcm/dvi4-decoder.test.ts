import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AdpcmError } from './adpcm-error.js';
import { decodeDvi4, decodeDvi4Block, dvi4BlockState, type AdpcmByteOrder } from './dvi4-decoder.js';
import { Dvi4Encoder } from './dvi4-encoder.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

interface Case {
  readonly name: string;
  readonly block: Uint8Array;
  readonly order: AdpcmByteOrder;
  readonly state: { predictor: number; index: number };
  /** Samples worked out by hand from the IMA tables, when given. */
  readonly samples?: readonly number[];
}

const CASES: readonly Case[] = [
  // Code 7 at step 7: +(0 + 7 + 3 + 1) = 11, index 8; code 0 at step 16: +2 = 13, index 7.
  { name: 'from silence, code 7 then 0', block: hex('0000 00 00 70'), order: 'le', state: { predictor: 0, index: 0 }, samples: [11, 13] },
  { name: 'code 15 is the negative of code 7', block: hex('0000 00 00 f0'), order: 'le', state: { predictor: 0, index: 0 }, samples: [-11, -9] },
  // Predictor 0x0100 = 256 little-endian, index 10 (step 17): code 1 → 256 + 2 + 4 = 262, index 9 (step 16): code 8 → 262 - 2 = 260.
  { name: 'a little-endian predictor', block: hex('0001 0a 00 18'), order: 'le', state: { predictor: 256, index: 10 }, samples: [262, 260] },
  { name: 'the same bytes read big-endian', block: hex('0001 0a 00 18'), order: 'be', state: { predictor: 1, index: 10 }, samples: [7, 5] },
  // The real HiSilicon device of issue 15: header `00 01 52 00`, then `56 fa 23 00` = −1450, index 35.
  { name: 'a real device block (HiSilicon header, little-endian)', block: hex(`00015200 56fa2300 7a91${'00'.repeat(158)}`), order: 'le', state: { predictor: -1450, index: 35 } },
  { name: 'the predictor clamps at the top', block: hex('ff7f 58 00 77'), order: 'le', state: { predictor: 32767, index: 88 }, samples: [32767, 32767] },
  { name: 'an index over 88 is clamped', block: hex('0000 ff 00 00'), order: 'le', state: { predictor: 0, index: 255 }, samples: [4095, 4095 + (29794 >> 3)] },
];

describe('DVI4 decoder (IMA ADPCM, RFC 3551 §4.5.1 layout)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      expect(dvi4BlockState(c.block, c.order)).toEqual(c.state);
      const out = decodeDvi4(c.block, c.order);
      if (c.samples) expect([...out]).toEqual(c.samples);
      const payload = c.block.length - (c.name.includes('HiSilicon') ? 8 : 4);
      expect(out.length).toBe(payload * 2);
    });
  }

  it('refuses a block shorter than its header with a typed error', () => {
    expect(() => decodeDvi4(hex('0000 00 00'))).toThrow(AdpcmError);
    expect(() => dvi4BlockState(hex('0000 00'))).toThrow(AdpcmError);
  });

  it('little-endian blocks meet at every boundary: last sample = next predictor, index carried on', () => {
    const enc = new Dvi4Encoder('le');
    const tone = Int16Array.from({ length: 8000 }, (_, i) => Math.round(9000 * Math.sin((2 * Math.PI * 300 * i) / 8000)));
    const blocks = Array.from({ length: 50 }, (_, b) => enc.encode(tone.subarray(b * 160, b * 160 + 160)));
    let missesBe = 0;
    for (let b = 0; b + 1 < blocks.length; b++) {
      const { samples, endIndex } = decodeDvi4Block(blocks[b]!);
      expect(dvi4BlockState(blocks[b + 1]!)).toEqual({ predictor: samples[samples.length - 1], index: endIndex });
      const be = decodeDvi4Block(blocks[b]!, 'be').samples;
      if (be[be.length - 1] !== dvi4BlockState(blocks[b + 1]!, 'be').predictor) missesBe++;
    }
    // Read in the other order, the boundaries miss.
    expect(missesBe).toBeGreaterThan(40);
  });

  it('decodes any block to 2 samples a byte or says why not (fuzz, cases as seeds)', () => {
    const block = fc.oneof(fc.constantFrom(...CASES.map((c) => c.block)), fc.uint8Array({ maxLength: 600 }));
    fc.assert(
      fc.property(block, fc.constantFrom<AdpcmByteOrder>('le', 'be'), (b, order) => {
        try {
          const { samples, endIndex } = decodeDvi4Block(b, order);
          expect(samples.length % 2).toBe(0);
          expect(samples.length).toBeLessThanOrEqual(2 * (b.length - 4));
          expect(endIndex).toBeGreaterThanOrEqual(0);
          expect(endIndex).toBeLessThanOrEqual(88);
        } catch (e) {
          expect(e).toBeInstanceOf(AdpcmError);
          expect(b.length).toBeLessThan(9);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
