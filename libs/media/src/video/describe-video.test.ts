import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { splitAnnexB, joinAnnexB, h264NalType, h265NalType } from '../annexb/index.js';
import { parseAvcConfig } from '../h264/index.js';
import { parseHevcConfig } from '../h265/index.js';
import { describeVideo } from './describe-video.js';

const dir = mkdtempSync(path.join(tmpdir(), 'media-video-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An elementary stream made by ffmpeg, and what ffprobe says of it. */
function make(name: string, size: string, args: string[], format: 'h264' | 'hevc') {
  const file = path.join(dir, `${name}.${format}`);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=25`, '-frames:v', '10', ...args, '-f', format, file]);
  const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', file]).toString()) as {
    streams: Array<{ width: number; height: number; profile: string; level: number; codec_name: string }>;
  };
  return { bytes: new Uint8Array(readFileSync(file)), probe: probe.streams[0]! };
}

/** The first access unit: everything before the second VCL NAL unit. */
function firstAccessUnit(bytes: Uint8Array, codec: 'h264' | 'h265'): Uint8Array {
  const units = splitAnnexB(bytes);
  const out: Uint8Array[] = [];
  let vcl = 0;
  for (const u of units) {
    const isVcl = codec === 'h264' ? h264NalType(u) >= 1 && h264NalType(u) <= 5 : h265NalType(u) < 32;
    if (isVcl && ++vcl > 1) break;
    out.push(u);
  }
  return joinAnnexB(out);
}

const CASES = [
  { name: 'h264 baseline 352x288', size: '352x288', codec: 'h264', args: ['-c:v', 'libx264', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p'], codecString: /^avc1\.42c0/ },
  { name: 'h264 main 720x576', size: '720x576', codec: 'h264', args: ['-c:v', 'libx264', '-profile:v', 'main', '-pix_fmt', 'yuv420p'], codecString: /^avc1\.4d40/ },
  { name: 'h264 high 1278x718 (cropped)', size: '1278x718', codec: 'h264', args: ['-c:v', 'libx264', '-profile:v', 'high', '-pix_fmt', 'yuv420p'], codecString: /^avc1\.6400/ },
  { name: 'h265 main 640x360', size: '640x360', codec: 'h265', args: ['-c:v', 'libx265', '-pix_fmt', 'yuv420p', '-x265-params', 'log-level=error'], codecString: /^hvc1\.1\.6\.L\d+\.90$/ },
  { name: 'h265 main10 1278x718 (conformance window)', size: '1278x718', codec: 'h265', args: ['-c:v', 'libx265', '-pix_fmt', 'yuv420p10le', '-x265-params', 'log-level=error'], codecString: /^hvc1\.2\.4\.L\d+/ },
] as const;

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

/** Parameter sets from testdata/media captures and a slice header byte or two: enough to describe. */
const known = [
  { name: 'H.264 Main 320x240 (h264-g711u.bin)', codec: 'h264', units: ['09f0', '674d400dd90141fb011000000300100000030320f142a480', '68ebc3cb20', '6588840021'], width: 320, height: 240, codecString: 'avc1.4d400d' },
  { name: 'H.265 Main 320x240 (h265-aac.bin)', codec: 'h265', units: ['40010c01ffff01600000030090000003000003003c928090', '42010101600000030090000003000003003ca00a080f16592a4932bc05a02000000300200000030321', '4401c172b46240', '2601af'], width: 320, height: 240, codecString: 'hvc1.1.6.L60.90' },
  { name: 'H.265 without its VPS: nothing', codec: 'h265', units: ['42010101600000030090000003000003003ca00a080f16592a4932bc05a02000000300200000030321', '4401c172b46240', '2601af'], width: undefined, height: undefined, codecString: undefined },
] as const;

describe('describeVideo against ffprobe', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const { bytes, probe } = make(c.name.replace(/\W+/g, '-'), c.size, [...c.args], c.codec === 'h264' ? 'h264' : 'hevc');
      const d = describeVideo(c.codec, firstAccessUnit(bytes, c.codec));
      expect(d).toBeDefined();
      expect([d!.width, d!.height]).toEqual([probe.width, probe.height]);
      expect(d!.level).toBe(probe.level);
      expect(d!.codecString).toMatch(c.codecString);
      // The level in the codec string is the one ffprobe reads.
      if (c.codec === 'h265') expect(d!.codecString).toContain(`.L${probe.level}`);
      if (c.codec === 'h264') {
        expect(d!.fps).toBe(25);
        const cfg = parseAvcConfig(d!.configRecord);
        expect(cfg.sps).toHaveLength(1);
        expect(cfg.pps).toHaveLength(1);
      } else {
        const cfg = parseHevcConfig(d!.configRecord);
        expect([cfg.vps.length, cfg.sps.length, cfg.pps.length]).toEqual([1, 1, 1]);
      }
    });
  }

  it('has nothing to say about an access unit without parameter sets, or about garbage', () => {
    expect(describeVideo('h264', new Uint8Array([0, 0, 0, 1, 0x41, 0x9a, 0x00]))).toBeUndefined();
    expect(describeVideo('h264', new Uint8Array([0, 0, 0, 1, 0x67, 0xff, 0, 0, 0, 1, 0x68, 0xff]))).toBeUndefined();
    expect(describeVideo('h265', new Uint8Array(64).fill(0xff))).toBeUndefined();
  });

  it.each(known)('from known parameter sets: $name', ({ codec, units, width, height, codecString }) => {
    const d = describeVideo(codec, joinAnnexB(units.map(hex)));
    if (width === undefined) expect(d).toBeUndefined();
    else expect(d).toMatchObject({ codec, width, height, codecString });
  });

  it('never throws on any bytes, and what it describes is within the levels (fuzz, seeded by the known cases)', () => {
    fc.assert(
      fc.property(fc.constantFrom('h264' as const, 'h265' as const), fc.uint8Array({ maxLength: 300 }), (codec, bytes) => {
        const d = describeVideo(codec, bytes);
        if (d) {
          expect(d.width).toBeGreaterThan(0);
          expect(d.width).toBeLessThanOrEqual(16888);
          expect(d.configRecord.length).toBeLessThanOrEqual(bytes.length + 64);
        }
      }),
      { numRuns: 1000, examples: known.map((k): ['h264' | 'h265', Uint8Array] => [k.codec, joinAnnexB(k.units.map(hex))]) },
    );
  });
});
