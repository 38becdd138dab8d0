import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AdpcmError } from '../adpcm/adpcm-error.js';
import { Dvi4Encoder } from '../adpcm/dvi4-encoder.js';
import { encodeAlaw } from '../g711/alaw.js';
import { encodeUlaw } from '../g711/mulaw.js';
import { G726Encoder } from '../g726/g726-encoder.js';
import { NarrowbandDecoder, isNarrowband, type AudioDecodeOptions, type NarrowbandCodec } from './narrowband-decoder.js';

const tone = (n: number) => Int16Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
const hisilicon = (b: Uint8Array) => Uint8Array.from([0, 1, b.length / 2, 0, ...b]);

function snrDb(ref: Int16Array, test: Int16Array): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < ref.length; i++) {
    s += ref[i]! ** 2;
    n += (ref[i]! - (test[i] ?? 0)) ** 2;
  }
  return 10 * Math.log10(s / Math.max(1, n));
}

interface Case {
  readonly name: string;
  readonly codec: NarrowbandCodec;
  readonly opts?: AudioDecodeOptions;
  /** 20 ms frames of the tone, as a device sends them, and their spacing. */
  readonly frames: () => Uint8Array[];
  readonly frameMs: number;
  readonly minSnr: number;
}

const frames20 = (encode: (pcm: Int16Array) => Uint8Array) => () => Array.from({ length: 25 }, (_, i) => encode(tone(4000).subarray(i * 160, i * 160 + 160)));

const CASES: readonly Case[] = [
  { name: 'G.711 A-law', codec: 'g711a', frames: frames20(encodeAlaw), frameMs: 20, minSnr: 30 },
  { name: 'G.711 µ-law', codec: 'g711u', frames: frames20(encodeUlaw), frameMs: 20, minSnr: 30 },
  { name: 'ADPCM, HiSilicon header, little-endian predictor', codec: 'adpcm', frames: () => { const e = new Dvi4Encoder('le'); return frames20((p) => hisilicon(e.encode(p)))(); }, frameMs: 20, minSnr: 20 },
  { name: 'ADPCM, big-endian when configured so', codec: 'adpcm', opts: { adpcmByteOrder: 'be' }, frames: () => { const e = new Dvi4Encoder('be'); return frames20((p) => e.encode(p))(); }, frameMs: 20, minSnr: 20 },
  { name: 'G.726 40 kbit/s AAL2, rate read from 20 ms spacing', codec: 'g726', frames: () => { const e = new G726Encoder(40000, 'be'); return frames20((p) => e.encode(p))(); }, frameMs: 20, minSnr: 20 },
  { name: 'G.726 24 kbit/s RFC 3551, pinned', codec: 'g726', opts: { g726Rate: 24000, g726Packing: 'le' }, frames: () => { const e = new G726Encoder(24000, 'le'); return frames20((p) => e.encode(p))(); }, frameMs: 20, minSnr: 12 },
];

describe('NarrowbandDecoder', () => {
  for (const c of CASES) {
    it(`${c.name}: as many samples as samplesOf says, close to the source`, () => {
      const d = new NarrowbandDecoder(c.codec, c.opts);
      const parts: number[] = [];
      c.frames().forEach((f, i) => {
        const n = d.samplesOf(f, 1000 + i * c.frameMs);
        const pcm = d.decode(f);
        expect(pcm.length).toBe(n);
        parts.push(...pcm);
      });
      // The first G.726 frame is read before any spacing is known (as 40 ms, so at another rate);
      // the decoder starts over at the second, mid-stream, and takes ~100 ms to converge.
      const skip = c.codec === 'g726' && !c.opts?.g726Rate ? 800 : 0;
      expect(snrDb(tone(4000).subarray(skip), Int16Array.from(parts.slice(parts.length - (4000 - skip))))).toBeGreaterThan(c.minSnr);
    });
  }

  it('learns the G.726 rate from the timestamps, and keeps it across reset()', () => {
    const d = new NarrowbandDecoder('g726');
    const e = new G726Encoder(32000, 'be');
    for (let i = 0; i < 60; i++) d.decode(e.encode(tone(160)), i * 20);
    expect(d.g726Rate).toBe(32000);
    d.reset();
    expect(d.g726Rate).toBe(32000);
    expect(new NarrowbandDecoder('g711a').g726Rate).toBeUndefined();
  });

  it('names the narrowband codecs', () => {
    expect(['g711a', 'g711u', 'adpcm', 'g726', 'aac', 'mp3'].filter(isNarrowband)).toEqual(['g711a', 'g711u', 'adpcm', 'g726']);
  });

  it('never throws on any frame but a typed ADPCM error, and stays bounded (fuzz, cases as seeds)', () => {
    const frame = fc.oneof(fc.constantFrom(...CASES.flatMap((c) => c.frames().slice(0, 2))), fc.uint8Array({ maxLength: 700 }));
    fc.assert(
      fc.property(fc.constantFrom(...CASES), fc.array(fc.tuple(frame, fc.integer({ min: -1000, max: 100_000 })), { maxLength: 8 }), (c, list) => {
        const d = new NarrowbandDecoder(c.codec, c.opts);
        for (const [data, ts] of list) {
          try {
            const n = d.samplesOf(data, ts);
            const pcm = d.decode(data);
            // G.726 code words may straddle frames (24 and 40 kbit/s): a frame then gives one
            // sample more or less than its own bits make.
            expect(Math.abs(pcm.length - n)).toBeLessThanOrEqual(c.codec === 'g726' ? 1 : 0);
            // At most 4 samples a byte (G.726 at 16 kbit/s).
            expect(pcm.length).toBeLessThanOrEqual(data.length * 4);
          } catch (e) {
            expect(e).toBeInstanceOf(AdpcmError);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
