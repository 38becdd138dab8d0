import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeAlaw, encodeAlaw } from './alaw.js';

const dir = mkdtempSync(path.join(tmpdir(), 'alaw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Known values of G.711 table 1 (even bits inverted on the wire: 0xd5 is the smallest positive). */
const CASES = [
  { code: 0xd5, linear: 8 },
  { code: 0x55, linear: -8 },
  { code: 0xd4, linear: 24 },
  { code: 0xc5, linear: 264 },
  { code: 0xaa, linear: 32256 },
  { code: 0x2a, linear: -32256 },
  { code: 0x80, linear: 5504 },
  { code: 0x00, linear: -5504 },
];

describe('G.711 A-law', () => {
  for (const c of CASES) {
    it(`code 0x${c.code.toString(16)} is ${c.linear}, and encodes back`, () => {
      expect(decodeAlaw(Uint8Array.of(c.code))[0]).toBe(c.linear);
      expect(encodeAlaw(Int16Array.of(c.linear))[0]).toBe(c.code);
    });
  }

  it('decodes all 256 codes exactly as ffmpeg does', () => {
    const every = Uint8Array.from({ length: 256 }, (_, i) => i);
    const file = path.join(dir, 'all.alaw');
    writeFileSync(file, every);
    const out = execFileSync('ffmpeg', ['-v', 'error', '-f', 'alaw', '-ar', '8000', '-ac', '1', '-i', file, '-f', 's16le', '-']);
    expect([...decodeAlaw(every)]).toEqual([...new Int16Array(out.buffer, out.byteOffset, out.length / 2)]);
    expect([...encodeAlaw(decodeAlaw(every))]).toEqual([...every]);
  });

  it('any PCM round-trips within half a quantization step, and decodes into a given buffer (fuzz, cases as seeds)', () => {
    const pcm = fc.oneof(fc.constant(Int16Array.from(CASES.map((c) => c.linear))), fc.int16Array({ maxLength: 400 }));
    fc.assert(
      fc.property(pcm, (samples) => {
        const coded = encodeAlaw(samples);
        expect(coded.length).toBe(samples.length);
        const out = new Int16Array(samples.length);
        expect(decodeAlaw(coded, out)).toBe(out);
        for (let i = 0; i < samples.length; i++) {
          const x = samples[i]!;
          // Segment step: 16 in the first two segments, doubling each one after (2^(seg+3)).
          const step = Math.max(16, 2 ** (Math.floor(Math.log2(Math.max(1, Math.abs(x)) / 16)) + 4));
          expect(Math.abs(out[i]! - x)).toBeLessThanOrEqual(Math.max(step, 1024));
        }
      }),
      { numRuns: 300 },
    );
  });
});
