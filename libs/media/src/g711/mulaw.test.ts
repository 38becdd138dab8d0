import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeUlaw, encodeUlaw } from './mulaw.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mulaw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Known values of G.711 table 2 (all bits inverted on the wire: 0xff is zero). */
const CASES = [
  { code: 0xff, linear: 0 },
  { code: 0xfe, linear: 8 },
  { code: 0x7e, linear: -8 },
  { code: 0xef, linear: 132 },
  { code: 0x80, linear: 32124 },
  { code: 0x00, linear: -32124 },
  { code: 0xbf, linear: 1980 },
];

describe('G.711 µ-law', () => {
  for (const c of CASES) {
    it(`code 0x${c.code.toString(16)} is ${c.linear}, and encodes back`, () => {
      expect(decodeUlaw(Uint8Array.of(c.code))[0]).toBe(c.linear);
      expect(encodeUlaw(Int16Array.of(c.linear))[0]).toBe(c.code);
    });
  }

  it('has two zeros (0x7f, 0xff); both decode to 0, which encodes as 0xff', () => {
    expect([...decodeUlaw(Uint8Array.of(0x7f, 0xff))]).toEqual([0, 0]);
    expect(encodeUlaw(Int16Array.of(0))[0]).toBe(0xff);
  });

  it('decodes all 256 codes exactly as ffmpeg does', () => {
    const every = Uint8Array.from({ length: 256 }, (_, i) => i);
    const file = path.join(dir, 'all.mulaw');
    writeFileSync(file, every);
    const out = execFileSync('ffmpeg', ['-v', 'error', '-f', 'mulaw', '-ar', '8000', '-ac', '1', '-i', file, '-f', 's16le', '-']);
    expect([...decodeUlaw(every)]).toEqual([...new Int16Array(out.buffer, out.byteOffset, out.length / 2)]);
    expect([...encodeUlaw(decodeUlaw(every))]).toEqual([...every.map((c) => (c === 0x7f ? 0xff : c))]);
  });

  it('any PCM round-trips to the nearest level and back stays put (fuzz, cases as seeds)', () => {
    const pcm = fc.oneof(fc.constant(Int16Array.from(CASES.map((c) => c.linear))), fc.int16Array({ maxLength: 400 }));
    fc.assert(
      fc.property(pcm, (samples) => {
        const coded = encodeUlaw(samples);
        expect(coded.length).toBe(samples.length);
        const decoded = decodeUlaw(coded);
        // Decoding is a fixed point: encoding a decoded level gives the same level.
        expect([...decodeUlaw(encodeUlaw(decoded))]).toEqual([...decoded]);
        for (let i = 0; i < samples.length; i++) {
          const x = Math.max(-32124, Math.min(32124, samples[i]!));
          // Level spacing at |x| is at most |x|/16 + 8 (segment step 2^(seg+3), 16 steps a segment).
          expect(Math.abs(decoded[i]! - x)).toBeLessThanOrEqual(Math.abs(x) / 16 + 8 + 1024 * Number(Math.abs(x) > 32000));
        }
      }),
      { numRuns: 300 },
    );
  });
});
