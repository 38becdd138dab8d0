/**
 * The cluster path in a real browser: a real capture (H.264 + G.711A, 720×576) looped by the
 * simulator into `jt1078 ingest`, through NATS, out of `jt1078 packager` as LL-HLS, played by
 * hls.js in low-latency mode in Chromium from a page on another origin (CORS). Time advances,
 * the picture has the SPS's size, and the audio — G.711 turned into Opus — is in the buffer and
 * audible through WebAudio. When the device reconnects (a vehicle's 4G link drops), the same
 * playlist goes on after a discontinuity and the player keeps playing.
 */
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCapture } from '@jt1078/jt1078';
import { CaptureReplay, SimulatedDevice, loadCapturePackets } from '@jt1078/svc-simulator';
import { G711_CAPTURE, sharedTestdataAvailable } from '../libs/jt1078/src/testdata/generate-captures.js';
import { launchChromium, saveScreenshot } from './support/chromium.js';
import { launchPod, type Jt1078Pod } from './support/jt1078-pod.js';
import { freePort, uniquePrefix, until } from './support/services.js';

const require = createRequire(import.meta.url);
const STREAM = 'live/jt1078-156987000796-1';

const PAGE = `<!doctype html><meta charset="utf-8"><title>player</title>
<video id="v" autoplay playsinline style="width:720px"></video>
<script src="/hls.min.js"></script>
<script>
  window.state = { codecs: [], energy: 0, errors: [] };
  const video = document.getElementById('v');
  const hls = new Hls({ lowLatencyMode: true });
  hls.on(Hls.Events.BUFFER_CREATED, (_e, data) => {
    window.state.tracks = data.tracks;
    window.state.codecs = Object.entries(data.tracks).map(([kind, t]) => kind + ':' + t.codec);
  });
  hls.on(Hls.Events.ERROR, (_e, d) => { if (d.fatal) window.state.errors.push(d.details); });
  hls.loadSource(new URLSearchParams(location.search).get('src'));
  hls.attachMedia(video);
  // Audio energy as a listener hears it: the element's output through an analyser.
  const ctx = new AudioContext();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 2048;
  ctx.createMediaElementSource(video).connect(analyser);
  analyser.connect(ctx.destination);
  const samples = new Float32Array(analyser.fftSize);
  setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    window.state.energy = Math.max(window.state.energy, Math.sqrt(sum / samples.length));
  }, 50);
  window.audioBuffered = () => {
    for (const t of Object.values(window.state.tracks || {})) {
      if (t.codec && t.codec.includes('opus') && t.buffer && t.buffer.buffered.length > 0) return t.buffer.buffered.end(0) - t.buffer.buffered.start(0);
    }
    return 0;
  };
  window.latency = () => hls.latency;
</script>`;

describe.runIf(sharedTestdataAvailable())('packager in Chromium (ingest → NATS → packager → hls.js)', () => {
  const root = uniquePrefix('pkgbrowser');
  let ingest: Jt1078Pod;
  let packager: Jt1078Pod;
  let device: SimulatedDevice;
  let livePort = 0;
  let site: Server;
  let sitePort = 0;
  let browser: BrowserContext;

  beforeAll(async () => {
    livePort = await freePort();
    const live = livePort;
    ingest = await launchPod({ service: 'ingest', name: 'ingest-b', root, jt1078: [`  realtime: { addr: '127.0.0.1:${live}' }`, `  playback: { addr: '127.0.0.1:${await freePort()}' }`] });
    packager = await launchPod({ service: 'packager', name: 'packager-b', root });
    device = new SimulatedDevice({ host: '127.0.0.1', port: live, replay: new CaptureReplay(loadCapturePackets(readCapture(G711_CAPTURE)), { loop: true }) });
    void device.start();
    await until(async () => (await fetch(`${packager.url}/hls/${STREAM}/index.m3u8`)).status === 200, 20_000, 'the packager to serve the stream');
    // The player page lives on another origin than the packager: CORS is part of what is tested.
    const hlsJs = readFileSync(require.resolve('hls.js/dist/hls.min.js'));
    site = createServer((req, res) => {
      if (req.url === '/hls.min.js') res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(hlsJs);
      else res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE);
    });
    sitePort = await freePort();
    await new Promise<void>((r) => site.listen(sitePort, '127.0.0.1', () => r()));
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    device?.stop();
    site?.close();
    await Promise.all([packager?.terminate(), ingest?.terminate()]);
  });

  it('plays it: time advances past 3 s, the SPS size, Opus audio buffered and audible', async () => {
    const page = await browser.newPage();
    const src = encodeURIComponent(`${packager.url}/hls/${STREAM}/index.m3u8`);
    await page.goto(`http://localhost:${sitePort}/?src=${src}`);
    await page.waitForFunction(() => {
      const v = document.querySelector('video')!;
      return v.currentTime > 3 && v.videoWidth > 0;
    }, undefined, { timeout: 40_000 });
    await page.waitForFunction(() => (window as unknown as { state: { energy: number } }).state.energy > 0.001, undefined, { timeout: 10_000 });
    const seen = await page.evaluate(() => {
      const v = document.querySelector('video')!;
      const w = window as unknown as { state: { codecs: string[]; energy: number; errors: string[] }; audioBuffered(): number; latency(): number };
      return { audioDecodedBytes: (v as unknown as { webkitAudioDecodedByteCount: number }).webkitAudioDecodedByteCount, width: v.videoWidth, height: v.videoHeight, time: v.currentTime, codecs: w.state.codecs, energy: w.state.energy, errors: w.state.errors, audioSeconds: w.audioBuffered(), latency: w.latency() };
    });
    expect(seen.width).toBe(720);
    expect(seen.height).toBe(576);
    expect(seen.time).toBeGreaterThan(3);
    expect(seen.errors).toEqual([]);
    // One muxed SourceBuffer (the fMP4 carries both tracks): the picture, and the audio as Opus.
    expect(seen.codecs).toEqual([expect.stringMatching(/^audiovideo:(opus,avc1\.[0-9a-f]{6}|avc1\.[0-9a-f]{6},opus)$/i)]);
    expect(seen.audioDecodedBytes).toBeGreaterThan(0);
    expect(seen.audioSeconds).toBeGreaterThan(0.5);
    expect(seen.energy).toBeGreaterThan(0.001);
    await saveScreenshot(page, 'packager-playing');
    await page.close();
  }, 70_000);

  it('keeps playing when the device reconnects: the playlist goes on after EXT-X-DISCONTINUITY', async () => {
    const page = await browser.newPage();
    const playlistUrl = `${packager.url}/hls/${STREAM}/index.m3u8`;
    await page.goto(`http://localhost:${sitePort}/?src=${encodeURIComponent(playlistUrl)}`);
    await page.waitForFunction(() => document.querySelector('video')!.currentTime > 2, undefined, { timeout: 40_000 });
    const before = await (await fetch(playlistUrl)).text();
    const lastBefore = Math.max(...[...before.matchAll(/seg-(\d+)\.m4s/g)].map((m) => Number(m[1])));
    // The link drops; the device connects again (a new TCP connection, the same SIM and channel).
    device.stop();
    await new Promise((r) => setTimeout(r, 1000));
    device = new SimulatedDevice({ host: '127.0.0.1', port: livePort, replay: new CaptureReplay(loadCapturePackets(readCapture(G711_CAPTURE)), { loop: true }) });
    void device.start();
    const stalledAt = await page.evaluate(() => document.querySelector('video')!.currentTime);
    await page.waitForFunction((t) => document.querySelector('video')!.currentTime > t + 4, stalledAt, { timeout: 40_000 });
    const after = await (await fetch(playlistUrl)).text();
    expect(after).toContain('#EXT-X-DISCONTINUITY\n');
    // One numbering: the segments after the reconnect follow those before it.
    const numbers = [...after.matchAll(/seg-(\d+)\.m4s/g)].map((m) => Number(m[1]));
    numbers.forEach((n, i) => i > 0 && expect(n).toBe(numbers[i - 1]! + 1));
    expect(Math.max(...numbers)).toBeGreaterThan(lastBefore);
    expect(await page.evaluate(() => (window as unknown as { state: { errors: string[] } }).state.errors)).toEqual([]);
    await saveScreenshot(page, 'packager-after-reconnect');
    await page.close();
  }, 100_000);
});
