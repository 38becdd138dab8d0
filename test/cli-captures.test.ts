/**
 * The capture forms through the real CLI: `inspect`, `package` and `simulate` read the CSV
 * form (`time,sim,seq,channel,type,subpackage,HEX`, BOM and header line as SmallChi's tools
 * write them) as they read binary, and a file that yields no packet ends them with a non-zero
 * status and a message saying why.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCapture } from '@jt1078/jt1078';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'services/all-in-one/bin/jt1078.js');
const CSV = path.join(ROOT, 'testdata/media/h264-g711u.csv');
const BINARY = path.join(ROOT, 'testdata/media/h264-g711u.bin');
const dir = mkdtempSync(path.join(tmpdir(), 'cli-captures-'));

function jt1078(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, cwd: ROOT });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('CSV captures through the CLI', () => {
  it('the CSV fixture is the binary capture, packet for packet', () => {
    expect(Buffer.compare(readCapture(CSV), readFileSync(BINARY))).toBe(0);
    expect(readFileSync(CSV).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  });

  it('inspect reads it', () => {
    const r = jt1078(['inspect', CSV, '--json']);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { revision: string; packets: number; streams: Array<{ video: { frames: number } }> };
    expect(report).toMatchObject({ revision: '2016' });
    expect(report.packets).toBeGreaterThan(100);
    expect(report.streams[0]!.video.frames).toBe(50);
  });

  it('package reads it', () => {
    const out = path.join(dir, 'hls');
    const r = jt1078(['package', CSV, '--out', out]);
    expect(r.status).toBe(0);
    expect(existsSync(path.join(out, 'index.m3u8'))).toBe(true);
  });

  it('package takes jt1078.audio from --config: RFC 3551 G.726 decodes to the source level only so', () => {
    const capture = path.join(ROOT, 'testdata/media/h264-g726-40-rfc3551.bin');
    const config = path.join(dir, 'audio.yaml');
    writeFileSync(config, 'jt1078:\n  audio:\n    devices:\n      "13900000131": { g726_packing: lsb }\n');
    const level = (out: string) => {
      const log = spawnSync('ffmpeg', ['-i', path.join(out, 'index.m3u8'), '-map', '0:a', '-af', 'volumedetect', '-f', 'null', '-'], { encoding: 'utf8' }).stderr;
      return Number(/mean_volume: (-?[\d.]+) dB/.exec(log)![1]);
    };
    const source = 20 * Math.log10(6000 / Math.SQRT2 / 32768);
    const configured = jt1078(['package', capture, '--out', path.join(dir, 'rfc3551'), '--config', config]);
    expect(configured.status).toBe(0);
    expect(Math.abs(level(path.join(dir, 'rfc3551')) - source)).toBeLessThanOrEqual(2);
    // Read MSB first (the default), the same bytes are not the tone at its level.
    expect(jt1078(['package', capture, '--out', path.join(dir, 'msb')]).status).toBe(0);
    expect(Math.abs(level(path.join(dir, 'msb')) - source)).toBeGreaterThan(2);
  });

  it('simulate reads it and sends the packets', async () => {
    let received = 0;
    const server = createServer((s) => s.on('data', (d: Buffer) => (received += d.length)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const child = spawn(process.execPath, [BIN, 'simulate', '--file', CSV, '--addr', `127.0.0.1:${port}`, '--speed', '20'], { cwd: ROOT, stdio: 'ignore' });
    const status = await new Promise<number | null>((r) => child.on('exit', r));
    await new Promise((r) => setTimeout(r, 200));
    server.close();
    expect(status).toBe(0);
    expect(received).toBe(readFileSync(BINARY).length);
  });
});

describe('a file that yields no packet', () => {
  const empty = path.join(dir, 'empty.bin');
  const text = path.join(dir, 'notes.csv');
  writeFileSync(empty, '');
  writeFileSync(text, 'time,sim,seq\nthis is not a capture, just notes\n');

  for (const file of [empty, text]) {
    it(`${path.basename(file)}: inspect, package and simulate exit non-zero, saying why`, () => {
      const inspect = jt1078(['inspect', file]);
      expect(inspect.status).toBe(1);
      expect(inspect.stderr).toMatch(/holds no JT1078 packet/);
      const pack = jt1078(['package', file, '--out', path.join(dir, 'none')]);
      expect(pack.status).toBe(1);
      expect(pack.stderr).toMatch(/holds no JT1078 packet.*Nothing written/);
      const simulate = jt1078(['simulate', '--file', file, '--addr', '127.0.0.1:9']);
      expect(simulate.status).not.toBe(0);
      expect(simulate.stderr).toMatch(/no JT1078 packet/);
    });
  }
});
