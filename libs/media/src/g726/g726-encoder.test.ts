import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { G726Decoder } from './g726-decoder.js';
import { G726Encoder } from './g726-encoder.js';
import type { G726Packing, G726Rate } from './g726-tables.js';

const dir = mkdtempSync(path.join(tmpdir(), 'g726-enc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A speech-like test signal: two tones and a sweep, 8 kHz, 1 s. */
const signal = () => Int16Array.from({ length: 8000 }, (_, i) => Math.round(5000 * Math.sin((2 * Math.PI * 440 * i) / 8000) + 3000 * Math.sin((2 * Math.PI * (200 + i / 10) * i) / 8000)));

function snrDb(ref: Int16Array, test: Int16Array): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < Math.min(ref.length, test.length); i++) {
    s += ref[i]! ** 2;
    n += (ref[i]! - test[i]!) ** 2;
  }
  return 10 * Math.log10(s / Math.max(1, n));
}

function ffmpegDecode(coded: Uint8Array, rate: G726Rate, format: 'g726le' | 'g726'): Int16Array {
  const file = path.join(dir, `ours.${format}.${rate}`);
  writeFileSync(file, coded);
  const out = execFileSync('ffmpeg', ['-v', 'error', '-f', format, '-code_size', String(rate / 8000), '-ar', '8000', '-ac', '1', '-i', file, '-f', 's16le', '-']);
  return new Int16Array(out.buffer, out.byteOffset, out.length / 2);
}

/** ffmpeg's own encoder, decoded by ffmpeg: the quality to match. */
function ffmpegRoundTrip(rate: G726Rate, format: 'g726le' | 'g726'): Int16Array {
  const pcm = path.join(dir, 'in.raw');
  const coded = path.join(dir, `ff.${format}.${rate}`);
  writeFileSync(pcm, signal());
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 's16le', '-ar', '8000', '-ac', '1', '-i', pcm, '-c:a', format, '-b:a', String(rate), '-f', format, coded]);
  return ffmpegDecode(new Uint8Array(readFileSync(coded)), rate, format);
}

describe('G.726 encoder', () => {
  for (const rate of [16000, 24000, 32000, 40000] as const) {
    for (const format of ['g726le', 'g726'] as const) {
      it(`${rate / 1000} kbit/s, ${format === 'g726le' ? 'RFC 3551 (le)' : 'AAL2 (be)'} packing: decoded by ffmpeg, as faithful as ffmpeg's own encoder`, () => {
        const packing = format === 'g726le' ? 'le' : 'be';
        const ours = new G726Encoder(rate, packing);
        const pcm = signal();
        const parts: number[] = [];
        for (let i = 0; i < pcm.length; i += 160) parts.push(...ours.encode(pcm.subarray(i, i + 160)));
        const coded = Uint8Array.from(parts);
        expect(coded.length).toBe((pcm.length * rate) / 64000);
        const decoded = ffmpegDecode(coded, rate, format);
        expect(snrDb(pcm, decoded)).toBeGreaterThan(snrDb(pcm, ffmpegRoundTrip(rate, format)) - 1);
        // Our decoder reads our encoder's stream as ffmpeg does.
        expect([...new G726Decoder(rate, packing).decode(coded)]).toEqual([...decoded]);
      });
    }
  }

  it('makes whole bytes whatever the split, the same bytes as in one go (fuzz)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constant(signal().subarray(0, 320)), fc.int16Array({ maxLength: 400 })),
        fc.constantFrom<G726Rate>(16000, 24000, 32000, 40000),
        fc.constantFrom<G726Packing>('le', 'be'),
        fc.integer({ min: 1, max: 64 }),
        (pcm, rate, packing, chunk) => {
          const whole = new G726Encoder(rate, packing).encode(pcm);
          expect(whole.length).toBe(Math.floor((pcm.length * rate) / 64000));
          const e = new G726Encoder(rate, packing);
          const split: number[] = [];
          for (let i = 0; i < pcm.length; i += chunk) split.push(...e.encode(pcm.subarray(i, i + chunk)));
          expect(split).toEqual([...whole]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
