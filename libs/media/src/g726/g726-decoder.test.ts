import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { G726Decoder } from './g726-decoder.js';
import type { G726Packing, G726Rate } from './g726-tables.js';

const dir = mkdtempSync(path.join(tmpdir(), 'g726-dec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Known vectors: the first 15 bytes ffmpeg's encoder makes of a 700 Hz tone (amplitude 12000),
 * AAL2 packing, and what ffmpeg's decoder makes of them.
 */
const KNOWN = [
  { rate: 16000, aal2: '155aaa557afc44fbb040ebf143eec1', pcm: [12, 60, 68, 80, 100, 120, -96, -148, -220, -308, -488, -832, 928, 1928, 3436, 5480, 8724, -220, -8140, -15764, -10428, -8472, -6612, 928, 9456, 7792, 13812, 9360, 648, -3304, -10652, -8800, -14540, -9540, -224, 3780, 11332, 9828, 8380, 5224, -716, -7248, -13128, -10452, -7792, -4992, 1104, 8680, 14652, 11904, 8796, 1488, -4060, -11100, -10660, -12568, -9088, -796, 4312, 11056] },
  { rate: 24000, aal2: 'edb6e49246d93edb714c9fadbba689', pcm: [0, 60, 76, 92, 108, 132, -156, -228, -340, -512, -924, -1844, 2920, 6564, 12876, 8520, 7368, 1972, -6912, -9656, -10816, -10968, -6992, 988, 6752, 12652, 10148, 8380, 2812, -3044, -8192, -10152, -10208, -6904, -2268, 4176, 10356, 13256, 10240, 7448] },
  { rate: 32000, aal2: 'f777778888ae46552ec9bbe245531c', pcm: [0, 88, 120, 172, 244, 376, -492, -968, -2012, -4520, -7968, -2856, 4224, 8980, 10744, 12532, 6932, 308, -4656, -11556, -11340, -11052, -4928, 1560, 6856, 10332, 11756, 8736, 4060, -2872] },
  { rate: 40000, aal2: 'fbdef7be1084218539692f715b6364', pcm: [0, 188, 228, 280, 364, 480, -504, -832, -1336, -2164, -4236, -3104, 3328, 9232, 12192, 11676, 6856, 800, -5344, -10788, -11804, -9892, -5552, 800] },
] as const;

/** Code words out of MSB-first bytes, and into LSB-first bytes: the two packings, written plainly. */
function unpackMsbFirst(bytes: Uint8Array, bits: number): number[] {
  const all = [...bytes].map((b) => b.toString(2).padStart(8, '0')).join('');
  return Array.from({ length: Math.floor(all.length / bits) }, (_, i) => parseInt(all.slice(i * bits, i * bits + bits), 2));
}
function packLsbFirst(codes: readonly number[], bits: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((codes.length * bits) / 8));
  codes.forEach((c, i) => {
    for (let k = 0; k < bits; k++) if ((c >> k) & 1) out[(i * bits + k) >> 3]! |= 1 << ((i * bits + k) & 7);
  });
  return out;
}

describe('G.726 decoder', () => {
  for (const k of KNOWN) {
    const bits = k.rate / 8000;
    const aal2 = Uint8Array.from(Buffer.from(k.aal2, 'hex'));
    const rfc3551 = packLsbFirst(unpackMsbFirst(aal2, bits), bits);
    for (const [packing, bytes] of [['be', aal2], ['le', rfc3551]] as const) {
      it(`${k.rate / 1000} kbit/s, ${packing === 'be' ? 'AAL2' : 'RFC 3551'} packing: the known vector, whole and a byte at a time`, () => {
        expect([...new G726Decoder(k.rate, packing).decode(bytes)]).toEqual(k.pcm);
        const d = new G726Decoder(k.rate, packing);
        expect([...bytes].flatMap((b) => [...d.decode(Uint8Array.of(b))])).toEqual(k.pcm);
      });
    }
  }

  /** A speech-like signal: two tones and a sweep, 8 kHz, 1 s. */
  const signal = () => Int16Array.from({ length: 8000 }, (_, i) => Math.round(5000 * Math.sin((2 * Math.PI * 440 * i) / 8000) + 3000 * Math.sin((2 * Math.PI * (200 + i / 10) * i) / 8000)));

  for (const rate of [16000, 24000, 32000, 40000] as const) {
    for (const format of ['g726', 'g726le'] as const) {
      it(`${rate / 1000} kbit/s ${format}: ffmpeg-made streams decode as ffmpeg decodes them, sample for sample`, () => {
        const pcm = path.join(dir, 'in.raw');
        const coded = path.join(dir, `out.${format}.${rate}`);
        writeFileSync(pcm, signal());
        execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 's16le', '-ar', '8000', '-ac', '1', '-i', pcm, '-c:a', format, '-b:a', String(rate), '-f', format, coded]);
        const out = execFileSync('ffmpeg', ['-v', 'error', '-f', format, '-code_size', String(rate / 8000), '-ar', '8000', '-ac', '1', '-i', coded, '-f', 's16le', '-']);
        const reference = new Int16Array(out.buffer, out.byteOffset, out.length / 2);
        const bytes = new Uint8Array(readFileSync(coded));
        // In 160-byte frames, as a device sends them: state and leftover bits carry across.
        const ours = new G726Decoder(rate, format === 'g726le' ? 'le' : 'be');
        const parts: number[] = [];
        for (let i = 0; i < bytes.length; i += 160) parts.push(...ours.decode(bytes.subarray(i, i + 160)));
        expect(parts.length).toBe(reference.length);
        expect(parts).toEqual([...reference]);
      });
    }
  }

  it('decodes any bytes in any split to the same samples, 8 bits per byte over bits per sample (fuzz, vectors as seeds)', () => {
    const seeded = fc.constantFrom(...KNOWN.map((k) => Uint8Array.from(Buffer.from(k.aal2, 'hex'))));
    fc.assert(
      fc.property(
        fc.oneof(seeded, fc.uint8Array({ maxLength: 400 })),
        fc.constantFrom<G726Rate>(16000, 24000, 32000, 40000),
        fc.constantFrom<G726Packing>('le', 'be'),
        fc.integer({ min: 1, max: 50 }),
        (bytes, rate, packing, chunk) => {
          const whole = new G726Decoder(rate, packing).decode(bytes);
          expect(whole.length).toBe(Math.floor((bytes.length * 8) / (rate / 8000)));
          const d = new G726Decoder(rate, packing);
          const split: number[] = [];
          for (let i = 0; i < bytes.length; i += chunk) split.push(...d.decode(bytes.subarray(i, i + chunk)));
          expect(split).toEqual([...whole]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
