import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { AdtsError, parseAdts, writeAdts } from './adts.js';

const dir = mkdtempSync(path.join(tmpdir(), 'adts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

const CASES = [
  // AAC-LC, 16 kHz (index 8), mono, 7-byte header + 2 bytes, no CRC.
  { name: 'one frame, no CRC', bytes: hex('fff1 6040 0120 fc 0102'), frames: [{ objectType: 2, sampleRate: 16000, channelConfig: 1, payload: [1, 2] }] },
  // The same with protection_absent 0: a 2-byte CRC follows the header.
  { name: 'one frame with CRC', bytes: hex('fff0 6040 0160 fc abcd 0102'), frames: [{ objectType: 2, sampleRate: 16000, channelConfig: 1, payload: [1, 2] }] },
  // 44.1 kHz (index 4) stereo, then 8 kHz (index 11) mono.
  {
    name: 'two frames back to back',
    bytes: hex('fff1 5080 0100 fc 09  fff1 6c40 0120 fc 0708'),
    frames: [{ objectType: 2, sampleRate: 44100, channelConfig: 2, payload: [9] }, { objectType: 2, sampleRate: 8000, channelConfig: 1, payload: [7, 8] }],
  },
  { name: 'no sync word', bytes: hex('0102 0304 0506 07'), frames: AdtsError },
  { name: 'reserved frequency index', bytes: hex('fff1 7c40 0100 fc 01'), frames: AdtsError },
  { name: 'length past the end', bytes: hex('fff1 6040 0220 fc 0102'), frames: AdtsError },
  { name: 'empty', bytes: new Uint8Array(0), frames: [] },
] as const;

describe('ADTS', () => {
  for (const c of CASES) {
    it(c.name, () => {
      if (c.frames === AdtsError) {
        expect(() => parseAdts(c.bytes)).toThrow(AdtsError);
        return;
      }
      const frames = parseAdts(c.bytes);
      expect(frames.map((f) => ({ objectType: f.objectType, sampleRate: f.sampleRate, channelConfig: f.channelConfig, payload: [...f.payload] }))).toEqual(c.frames);
    });
  }

  it('splits what ffmpeg writes into as many frames as ffprobe counts', () => {
    const file = path.join(dir, 'tone.aac');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000:duration=2', '-c:a', 'aac', '-f', 'adts', file]);
    const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_streams', '-of', 'json', file]).toString()) as { streams: Array<{ nb_read_frames: string }> };
    const frames = parseAdts(new Uint8Array(readFileSync(file)));
    expect(frames).toHaveLength(Number(probe.streams[0]!.nb_read_frames));
    expect(frames[0]).toMatchObject({ objectType: 2, sampleRate: 16000, channelConfig: 1 });
    expect(parseAdts(writeAdts(frames[0]!, frames[0]!.payload))[0]!.payload).toEqual(frames[0]!.payload);
  });

  it('writes headers that parse back, and parses any bytes or throws AdtsError (fuzz, cases as seeds)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 7 }), fc.uint8Array({ maxLength: 2000 }), (objectType, sampleRateIndex, channelConfig, payload) => {
        const [f] = parseAdts(writeAdts({ objectType, sampleRateIndex, channelConfig }, payload));
        expect(f).toMatchObject({ objectType, sampleRateIndex, channelConfig });
        expect([...f!.payload]).toEqual([...payload]);
      }),
      { numRuns: 300 },
    );
    const bytes = fc.oneof(
      fc.constantFrom(...CASES.map((c) => c.bytes)).chain((b) => fc.tuple(fc.constant(b), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([s, at, v]) => {
        const m = Uint8Array.from(s);
        if (m.length > 0) m[at % m.length] = v;
        return m;
      })),
      fc.uint8Array({ maxLength: 300 }),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        try {
          const frames = parseAdts(b);
          expect(frames.reduce((n, f) => n + f.payload.length + 7, 0)).toBeLessThanOrEqual(b.length);
        } catch (e) {
          expect(e).toBeInstanceOf(AdtsError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
