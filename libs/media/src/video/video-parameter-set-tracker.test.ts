import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { joinAnnexB, splitAnnexB } from '../annexb/annexb.js';
import { splitLengthPrefixed } from '../annexb/length-prefixed.js';
import { h264NalType } from '../annexb/nal-unit-type.js';
import { VideoParameterSetTracker } from './video-parameter-set-tracker.js';

const dir = mkdtempSync(path.join(tmpdir(), 'media-tracker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const SPS_320 = '674d400dd90141fb011000000300100000030320f142a480'; // testdata/media/h264-g711u.bin
const SPS_352 = '6742c00dd9016096c044000003000400000300c83c50a920';
const PPS = '68ebc3cb20';
const idr = (sps: string) => joinAnnexB([hex('09f0'), hex(sps), hex(PPS), hex('6588840021')]);
const idrAlone = joinAnnexB([hex('6588840021')]);
const p = joinAnnexB([hex('419a0102')]);

/** Access units in, per unit: undefined (undecodable yet) or [keyFrame, changed]. */
const cases = [
  { name: 'P-frames before the first parameter sets are undecodable', aus: [p, p, idr(SPS_320), p], out: [undefined, undefined, [true, true], [false, false]], waiting: 2, changes: 1 },
  { name: 'the same parameter sets again are no change', aus: [idr(SPS_320), p, idr(SPS_320), p], out: [[true, true], [false, false], [true, false], [false, false]], waiting: 0, changes: 1 },
  { name: 'new parameter sets (a new resolution) are a change', aus: [idr(SPS_320), p, idr(SPS_352), p], out: [[true, true], [false, false], [true, true], [false, false]], waiting: 0, changes: 2 },
  { name: 'a key frame without parameter sets keeps the last ones', aus: [idr(SPS_320), idrAlone, p], out: [[true, true], [true, false], [false, false]], waiting: 0, changes: 1 },
] as const;

describe('VideoParameterSetTracker', () => {
  it.each(cases)('$name', ({ aus, out, waiting, changes }) => {
    const tracker = new VideoParameterSetTracker('h264');
    const got = aus.map((au) => tracker.push(au));
    expect(got.map((g) => g && [g.sample.keyFrame, g.changed])).toEqual(out);
    expect(tracker.waitingForParameterSets).toBe(waiting);
    expect(tracker.changes).toBe(changes);
    // Samples carry no parameter sets or AUDs.
    for (const g of got) if (g) expect(splitLengthPrefixed(g.sample.data).map((u) => h264NalType(u)).filter((t) => t >= 7 && t <= 9)).toEqual([]);
  });

  it('turns an ffmpeg stream into length-prefixed samples, one change, key frames where the IDRs are', () => {
    const file = path.join(dir, 'track.h264');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-frames:v', '10', '-c:v', 'libx264', '-g', '5', '-bf', '0', '-f', 'h264', file]);
    const tracker = new VideoParameterSetTracker('h264');
    // Group into access units at each slice (no B-frames, one slice per picture).
    const aus: Uint8Array[][] = [[]];
    for (const u of splitAnnexB(new Uint8Array(readFileSync(file)))) {
      aus[aus.length - 1]!.push(u);
      const t = h264NalType(u);
      if (t === 1 || t === 5) aus.push([]);
    }
    const samples = aus.filter((a) => a.length > 0).map((a) => tracker.push(joinAnnexB(a)));
    expect(samples.map((s) => s!.sample.keyFrame)).toEqual([true, false, false, false, false, true, false, false, false, false]);
    expect(samples.map((s) => s!.changed)).toEqual([true, ...Array(9).fill(false)]);
    expect(tracker.description).toMatchObject({ width: 320, height: 240 });
    expect(splitLengthPrefixed(samples[0]!.sample.data).map((u) => h264NalType(u))).toContain(5);
  });

  it('never throws on any access units, and a sample is never more than 4 bytes per NAL unit longer (fuzz, seeded by the cases)', () => {
    fc.assert(
      fc.property(fc.constantFrom('h264' as const, 'h265' as const), fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 12 }), (codec, aus) => {
        const tracker = new VideoParameterSetTracker(codec);
        let undecodable = 0;
        for (const au of aus) {
          const out = tracker.push(au);
          if (!out) undecodable++;
          else expect(out.sample.data.length).toBeLessThanOrEqual(au.length + 4 * splitAnnexB(au).length);
        }
        expect(tracker.waitingForParameterSets).toBe(undecodable);
      }),
      { numRuns: 500, examples: cases.map((c): ['h264' | 'h265', Uint8Array[]] => ['h264', [...c.aus]]) },
    );
  });
});
