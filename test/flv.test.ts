/**
 * HTTP-FLV and WS-FLV from `jt1078 start` (a child process, in-process bus) while a real device
 * capture (H.264 + G.711A) is replayed live: ffprobe reads the codecs and size, ffmpeg decodes a
 * minute of it, mpegts.js (the FLV player of the JT1078 world) plays it in Chromium, and a
 * hundred viewers that read 1 KB/s are cut and counted while a normal viewer keeps up and the
 * process's memory stays bounded. An H.265 + AAC capture streams beside it as enhanced-FLV `hvc1`,
 * which a newer ffprobe reads and decodes for a minute.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { G711_CAPTURE, sharedTestdataAvailable } from '@jt1078/jt1078/testdata';
import { launchChromium, saveScreenshot } from './support/chromium.js';
import { freePort, until } from './support/services.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'services/all-in-one/bin/jt1078.js');
const MPEGTS = path.join(ROOT, 'node_modules/mpegts.js/dist/mpegts.js');
const SLOW_CLIENT = path.join(ROOT, 'test/fixtures/slow-viewers.py');
const STREAM = 'live/jt1078-156987000796-1';
/** testdata/media/h265-aac.bin: H.265 320x240 and AAC-LC 16 kHz from SIM 013900000001, channel 1. */
const H265_CAPTURE = path.join(ROOT, 'testdata/media/h265-aac.bin');
const H265_STREAM = 'live/jt1078-013900000001-1';
/**
 * Debian's ffprobe (5.1) predates enhanced FLV (FFmpeg 6.1 reads `hvc1` tags); this static build
 * of 2023-07-21, from npm, reads them.
 */
const FFPROBE_ENHANCED_FLV = path.join(ROOT, 'node_modules/@ffprobe-installer/linux-x64/ffprobe');
/** The bound under test: a viewer with more unsent bytes than this is cut. */
const QUEUE_KB = 64;
const SLOW_VIEWERS = 100;
/** Memory the slow viewers may cost the process at most: 100 × (queue + one GOP burst) is ~25 MB. */
const SLOW_VIEWERS_RSS_BOUND_MB = 120;

const haveShared = sharedTestdataAvailable();

/**
 * Reads FLV tags from bytes received so far: the first and last video frame timestamps (stream
 * time, so their difference is how much video this viewer got), the last audio one, and whether
 * every PreviousTagSize matched.
 */
function flvTimeline(bytes: Buffer): { firstVideo: number; video: number; audio: number; wellFormed: boolean } {
  const out = { firstVideo: -1, video: -1, audio: -1, wellFormed: bytes.subarray(0, 3).toString('latin1') === 'FLV' };
  let o = 13;
  while (o + 11 <= bytes.length) {
    const size = bytes.readUIntBE(o + 1, 3);
    if (o + 15 + size > bytes.length) break;
    const ts = (bytes.readUIntBE(o + 4, 3) | (bytes[o + 7]! << 24)) >>> 0;
    // Coded frames only (AVCPacketType 1): sequence headers carry timestamp 0.
    if (bytes[o] === 9 && bytes[o + 12] === 1) {
      if (out.firstVideo < 0) out.firstVideo = ts;
      out.video = Math.max(out.video, ts);
    }
    if (bytes[o] === 8) out.audio = Math.max(out.audio, ts);
    if (bytes.readUInt32BE(o + 11 + size) !== 11 + size) out.wellFormed = false;
    o += 15 + size;
  }
  return out;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

describe.runIf(haveShared)('HTTP-FLV and WS-FLV from a live stream', () => {
  let child: ChildProcess;
  let base = '';
  let logs = '';
  /** ffmpeg decoding a minute of the live FLV, started once the stream is up: its stderr, and the video it decoded. */
  let minute: Promise<{ stderr: string; frames: number; seconds: number }>;
  /** The newer ffprobe decoding a minute of the H.265 FLV: its stderr and the frames it decoded. */
  let hevcMinute: Promise<{ stderr: string; frames: number }>;

  const metric = async (name: string): Promise<number> => {
    const text = await (await fetch(`${base}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) if (line.startsWith(name)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    return sum;
  };

  beforeAll(async () => {
    // npm runs the package's own `chmod u+x` only where install scripts are allowed: do it here too.
    chmodSync(FFPROBE_ENHANCED_FLV, 0o755);
    const [live, playback, http, webrtc, audio] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    const config = path.join(mkdtempSync(path.join(tmpdir(), 'flv-')), 'config.yaml');
    writeFileSync(config, [
      'jt1078:',
      `  realtime: { addr: '127.0.0.1:${live}' }`,
      `  playback: { addr: '127.0.0.1:${playback}' }`,
      `  intercom: { jt1078webrtc: { port: ${webrtc} }, audio_ports: [${audio}, ${audio}] }`,
      '  simulations:',
      `    - { name: ${G711_CAPTURE}, addr: '127.0.0.1:${live}' }`,
      `    - { name: ${H265_CAPTURE}, addr: '127.0.0.1:${live}' }`,
      'cluster:',
      `  http: { addr: '127.0.0.1:${http}' }`,
      `  viewers: { max_queue_kb: ${QUEUE_KB} }`,
    ].join('\n'));
    const env = { ...process.env };
    delete env['NATS_URL'];
    delete env['REDIS_URL'];
    child = spawn(process.execPath, [BIN, 'start', '--config', config], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (logs = (logs + d.toString()).slice(-20_000)));
    child.stdout!.on('data', (d: Buffer) => (logs = (logs + d.toString()).slice(-20_000)));
    await until(() => logs.includes('jt1078 ready'), 30_000, () => `jt1078 start to be ready; logs:\n${logs}`);
    base = `http://127.0.0.1:${http}`;
    await until(async () => ((await (await fetch(`${base}/api/v1/streams`)).json()) as unknown[]).length === 2, 20_000, 'both simulated streams to be live');
    // A minute of decoding runs beside the other cases; the last case reads its result.
    minute = run('ffmpeg', ['-v', 'error', '-nostats', '-progress', 'pipe:1', '-rw_timeout', '10000000', '-t', '60', '-i', `${base}/flv/${STREAM}.flv`, '-f', 'null', '-'], { timeout: 120_000 })
      .then(({ stdout, stderr }) => {
        // -progress writes key=value blocks; the last block says how far the decode got.
        const last = (key: string): number => Number([...stdout.matchAll(new RegExp(`^${key}=(\\d+)$`, 'gm'))].pop()?.[1] ?? 0);
        return { stderr, frames: last('frame'), seconds: last('out_time_us') / 1e6 };
      });
    hevcMinute = run(FFPROBE_ENHANCED_FLV, ['-v', 'error', '-rw_timeout', '10000000', '-read_intervals', '%+60', '-select_streams', 'v', '-show_entries', 'frame=pict_type', '-of', 'csv=p=0', `${base}/flv/${H265_STREAM}.flv`], { timeout: 120_000, maxBuffer: 16 << 20 })
      .then(({ stdout, stderr }) => ({ stderr, frames: stdout.split('\n').filter((l) => /^[IPB]/.test(l)).length }));
  }, 90_000);

  afterAll(() => {
    child?.kill('SIGTERM');
  });

  it('ffprobe reads H.264 720x576 and G.711 A-law 8 kHz from /flv/<stream>.flv', async () => {
    const { stdout } = await run('ffprobe', ['-v', 'error', '-rw_timeout', '10000000', '-show_streams', '-of', 'json', `${base}/flv/${STREAM}.flv`], { timeout: 60_000 });
    const streams = (JSON.parse(stdout) as { streams: Array<Record<string, unknown>> }).streams;
    expect(streams.find((s) => s['codec_type'] === 'video')).toMatchObject({ codec_name: 'h264', width: 720, height: 576 });
    expect(streams.find((s) => s['codec_type'] === 'audio')).toMatchObject({ codec_name: 'pcm_alaw', sample_rate: '8000', channels: 1 });
  }, 90_000);

  it('H.265 goes out as enhanced-FLV hvc1: a newer ffprobe reads H.265 320x240 and AAC 16 kHz', async () => {
    const { stdout } = await run(FFPROBE_ENHANCED_FLV, ['-v', 'error', '-rw_timeout', '10000000', '-show_streams', '-of', 'json', `${base}/flv/${H265_STREAM}.flv`], { timeout: 60_000 });
    const streams = (JSON.parse(stdout) as { streams: Array<Record<string, unknown>> }).streams;
    expect(streams.find((s) => s['codec_type'] === 'video')).toMatchObject({ codec_name: 'hevc', width: 320, height: 240 });
    expect(streams.find((s) => s['codec_type'] === 'audio')).toMatchObject({ codec_name: 'aac', sample_rate: '16000' });
    // The form on the wire: the first video tag is an enhanced-FLV ExVideoTagHeader (IsExHeader,
    // bit 7 of the first byte) with FourCC 'hvc1' (E-RTMP v1, ExVideoTagHeader).
    const res = await fetch(`${base}/flv/${H265_STREAM}.flv`);
    const reader = res.body!.getReader();
    let bytes = Buffer.alloc(0);
    let firstVideo: Buffer | undefined;
    while (!firstVideo) {
      const { value, done } = await reader.read();
      if (done) break;
      bytes = Buffer.concat([bytes, value]);
      for (let o = 13; o + 16 <= bytes.length; o += 15 + bytes.readUIntBE(o + 1, 3)) {
        if (bytes[o] === 9) {
          firstVideo = bytes.subarray(o + 11, o + 16);
          break;
        }
      }
    }
    await reader.cancel();
    expect(firstVideo![0]! & 0x80).toBe(0x80);
    expect(firstVideo!.subarray(1, 5).toString('latin1')).toBe('hvc1');
  }, 90_000);

  it('WS-FLV sends the same FLV as binary messages, starting at a key frame', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/flv/${STREAM}.flv`);
    const chunks: Buffer[] = [];
    ws.on('message', (d: Buffer) => chunks.push(d));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    await until(() => {
      const t = flvTimeline(Buffer.concat(chunks));
      return t.video - t.firstVideo > 2000;
    }, 30_000, 'two seconds of video over WS-FLV');
    ws.close();
    const bytes = Buffer.concat(chunks);
    expect(flvTimeline(bytes).wellFormed).toBe(true);
    // After the header, onMetaData and the sequence header, the first frame is a key frame.
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'wsflv-')), 'ws.flv');
    writeFileSync(file, bytes);
    const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'frame=key_frame,pict_type', '-of', 'csv=p=0', file]);
    expect(stdout.trim().split('\n')[0]).toMatch(/^1,I\b/);
    // A WebSocket to a path that is no stream is refused before the upgrade.
    const refused = new WebSocket(`${base.replace('http', 'ws')}/flv/live/jt1078-1-1-x.flv`);
    const status = await new Promise<number>((resolve) => refused.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(404);
  }, 60_000);

  it('mpegts.js plays the HTTP-FLV in Chromium', async () => {
    const page: Server = createServer((req, res) => {
      if (req.url === '/mpegts.js') return void res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(readFileSync(MPEGTS));
      res.writeHead(200, { 'Content-Type': 'text/html' }).end(`<!doctype html><video id="v" muted autoplay playsinline width="720" height="576"></video>
        <script src="/mpegts.js"></script><script>
          // MSE has no G.711: an MSE player of FLV takes the video and leaves the audio (README).
          const player = mpegts.createPlayer({ type: 'flv', isLive: true, hasAudio: false, url: ${JSON.stringify(`${base}/flv/${STREAM}.flv`)} }, { enableStashBuffer: false, liveBufferLatencyChasing: true });
          player.attachMediaElement(document.getElementById('v'));
          player.load();
          player.play();
        </script>`);
    });
    await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
    const browser: BrowserContext = await launchChromium();
    try {
      const tab = await browser.newPage();
      const console: string[] = [];
      tab.on('console', (m) => console.push(m.text()));
      await tab.goto(`http://127.0.0.1:${(page.address() as { port: number }).port}/`);
      await tab.waitForFunction(() => {
        const v = document.getElementById('v') as HTMLVideoElement;
        return v.currentTime > 3 && v.getVideoPlaybackQuality().totalVideoFrames > 50;
      }, undefined, { timeout: 45_000 }).catch((err: Error) => {
        throw new Error(`${err.message}\npage console:\n${console.slice(-30).join('\n')}`);
      });
      const state = await tab.evaluate(() => {
        const v = document.getElementById('v') as HTMLVideoElement;
        return { width: v.videoWidth, height: v.videoHeight, frames: v.getVideoPlaybackQuality().totalVideoFrames, dropped: v.getVideoPlaybackQuality().droppedVideoFrames };
      });
      await saveScreenshot(tab, 'flv-mpegts');
      // 720x576 coded; the width shown follows the SPS's sample aspect ratio.
      expect(state.height).toBe(576);
      expect(state.dropped).toBeLessThan(state.frames);
      expect(state.frames).toBeGreaterThan(50);
    } finally {
      await browser.close();
      await new Promise<void>((r) => page.close(() => r()));
    }
  }, 90_000);

  it(`${SLOW_VIEWERS} viewers reading 1 KB/s are cut and counted; a normal viewer keeps up; memory stays bounded`, async () => {
    const slowBefore = await metric('jt1078_packager_viewers_ended_total{protocol="http-flv",reason="slow",');
    const rssBefore = rssMb(child.pid!);
    const port = Number(new URL(base).port);
    // Each reads 1 KB a second through a 4 KB receive buffer (a Python client: Node cannot set
    // SO_RCVBUF, and its paused sockets still pull whole chunks from the kernel).
    const slow = spawn('python3', [SLOW_CLIENT, '127.0.0.1', String(port), `/flv/${STREAM}.flv`, String(SLOW_VIEWERS), '200'], { stdio: 'ignore' });
    const normal = await fetch(`${base}/flv/${STREAM}.flv`);
    const reader = normal.body!.getReader();
    const received: Buffer[] = [];
    let reading = true;
    const started = Date.now();
    const pump = (async () => {
      while (reading) {
        const { value, done } = await reader.read();
        if (done) return;
        received.push(Buffer.from(value));
      }
    })();
    let peakRss = rssBefore;
    let slowAfter = slowBefore;
    // The packager's own count says when they were cut. The kernel's send buffers (up to
    // tcp_wmem's 4 MiB each, kernel memory) fill first: at this capture's ~70 KB/s, about a minute.
    try {
      await until(async () => {
        peakRss = Math.max(peakRss, rssMb(child.pid!));
        slowAfter = await metric('jt1078_packager_viewers_ended_total{protocol="http-flv",reason="slow",');
        return slowAfter - slowBefore >= SLOW_VIEWERS;
      }, 170_000, `all ${SLOW_VIEWERS} slow viewers to be cut`);
    } finally {
      slow.kill('SIGKILL');
    }
    const elapsed = Date.now() - started;
    reading = false;
    await reader.cancel();
    await pump.catch(() => undefined);
    const timeline = flvTimeline(Buffer.concat(received));
    console.log(`slow viewers cut: ${slowAfter - slowBefore} in ${(elapsed / 1000).toFixed(1)} s; RSS ${rssBefore.toFixed(0)} → peak ${peakRss.toFixed(0)} MB; normal viewer: ${timeline.video - timeline.firstVideo} ms of video in ${elapsed} ms`);
    expect(slowAfter - slowBefore).toBe(SLOW_VIEWERS);
    expect(peakRss - rssBefore).toBeLessThan(SLOW_VIEWERS_RSS_BOUND_MB);
    // The normal viewer was never cut and its video advanced with the clock.
    expect(timeline.wellFormed).toBe(true);
    expect(timeline.video - timeline.firstVideo).toBeGreaterThan(elapsed * 0.8);
  }, 220_000);

  it('ffmpeg decodes a minute of the live HTTP-FLV with no decoding error', async () => {
    const { stderr, frames, seconds } = await minute;
    console.log(`ffmpeg decoded ${frames} video frames, ${seconds.toFixed(1)} s of the live FLV`);
    expect(seconds).toBeGreaterThan(58);
    expect(frames).toBeGreaterThan(0);
    // ffmpeg's null muxer stamps video in 1/fps ticks and reports two frames that arrived within
    // one tick (arrival-timed realtime video, DESIGN.md) as "non monotonically increasing dts to
    // muxer": that is its output clock, not a decoding error. Everything else counts.
    const errors = stderr.split('\n').filter((l) => l.trim() && !/non monotonically increasing dts to muxer|Last message repeated/.test(l));
    expect(errors).toEqual([]);
  }, 150_000);

  it('the newer ffprobe decodes a minute of the live H.265 FLV with no decoding error', async () => {
    const { stderr, frames } = await hevcMinute;
    expect(stderr.split('\n').filter((l) => l.trim())).toEqual([]);
    // The capture is 25 frames/s: a minute of stream time is ~1,500 frames.
    expect(frames).toBeGreaterThan(1_400);
  }, 150_000);
});
