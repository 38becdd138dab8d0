import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { G726Decoder, G726Encoder, type G726Rate } from './index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'g726-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A speech-like test signal: two tones and a sweep, 8 kHz, 1 s. */
function signal(): Int16Array {
  return Int16Array.from({ length: 8000 }, (_, i) => Math.round(5000 * Math.sin((2 * Math.PI * 440 * i) / 8000) + 3000 * Math.sin((2 * Math.PI * (200 + i / 10) * i) / 8000)));
}

/** ffmpeg encodes with its G.726 encoder and decodes with its decoder: the reference pair. */
function ffmpegPair(rate: G726Rate, format: 'g726le' | 'g726') {
  const pcm = path.join(dir, 'in.raw');
  const coded = path.join(dir, `out.${format}.${rate}`);
  writeFileSync(pcm, signal());
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 's16le', '-ar', '8000', '-ac', '1', '-i', pcm, '-c:a', format, '-b:a', String(rate), '-f', format, coded]);
  const bits = rate / 8000;
  const decoded = execFileSync('ffmpeg', ['-v', 'error', '-f', format, '-code_size', String(bits), '-ar', '8000', '-ac', '1', '-i', coded, '-f', 's16le', '-']);
  return { coded: new Uint8Array(readFileSync(coded)), reference: new Int16Array(decoded.buffer, decoded.byteOffset, decoded.length / 2) };
}

function snrDb(ref: Int16Array, test: Int16Array): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < Math.min(ref.length, test.length); i++) {
    signal += ref[i]! ** 2;
    noise += (ref[i]! - test[i]!) ** 2;
  }
  return 10 * Math.log10(signal / Math.max(1, noise));
}

describe('G.726 decoder, against ffmpeg on ffmpeg-encoded streams', () => {
  for (const rate of [16000, 24000, 32000, 40000] as const) {
    for (const format of ['g726le', 'g726'] as const) {
      it(`${rate / 1000} kbit/s, ${format === 'g726le' ? 'RFC 3551 (le)' : 'AAL2 (be)'} packing`, () => {
        const { coded, reference } = ffmpegPair(rate, format);
        const ours = new G726Decoder(rate, format === 'g726le' ? 'le' : 'be');
        // In 160-byte frames, as a device sends them: state and leftover bits carry across.
        const parts: Int16Array[] = [];
        for (let i = 0; i < coded.length; i += 160) parts.push(ours.decode(coded.subarray(i, i + 160)));
        const decoded = Int16Array.from(parts.flatMap((p) => [...p]));
        expect(decoded.length).toBe(reference.length);
        // Not bit-exact with ffmpeg's own arithmetic, but as faithful to the source (within
        // 1 dB) and within 28 dB of ffmpeg's output sample by sample.
        expect(snrDb(signal(), decoded)).toBeGreaterThan(snrDb(signal(), reference) - 1);
        expect(snrDb(reference, decoded)).toBeGreaterThan(28);
      });
    }
  }
});

function ffmpegDecode(coded: Uint8Array, rate: G726Rate, format: 'g726le' | 'g726'): Int16Array {
  const file = path.join(dir, `ours.${format}.${rate}`);
  writeFileSync(file, coded);
  const decoded = execFileSync('ffmpeg', ['-v', 'error', '-f', format, '-code_size', String(rate / 8000), '-ar', '8000', '-ac', '1', '-i', file, '-f', 's16le', '-']);
  return new Int16Array(decoded.buffer, decoded.byteOffset, decoded.length / 2);
}

describe('G.726 encoder, decoded by ffmpeg', () => {
  for (const rate of [16000, 24000, 32000, 40000] as const) {
    for (const format of ['g726le', 'g726'] as const) {
      it(`${rate / 1000} kbit/s, ${format === 'g726le' ? 'RFC 3551 (le)' : 'AAL2 (be)'} packing: as faithful as ffmpeg's own encoder`, () => {
        const { reference } = ffmpegPair(rate, format);
        const ours = new G726Encoder(rate, format === 'g726le' ? 'le' : 'be');
        const parts: Uint8Array[] = [];
        const pcm = signal();
        for (let i = 0; i < pcm.length; i += 160) parts.push(ours.encode(pcm.subarray(i, i + 160)));
        const coded = Uint8Array.from(parts.flatMap((p) => [...p]));
        expect(coded.length).toBe((pcm.length * rate) / 64000);
        const decoded = ffmpegDecode(coded, rate, format);
        expect(snrDb(pcm, decoded)).toBeGreaterThan(snrDb(pcm, reference) - 1);
        // And our decoder reads our encoder's stream as ffmpeg does.
        expect(snrDb(decoded, new G726Decoder(rate, format === 'g726le' ? 'le' : 'be').decode(coded))).toBeGreaterThan(28);
      });
    }
  }
});
