/**
 * Packager replicas share streams (README "Packager replicas"): three `jt1078 packager`
 * processes, 30 streams asked round-robin across them. Each stream is packaged by
 * `replicas_per_stream` (2) replicas picked by rendezvous hashing; the third proxies to them.
 * Every replica answers every stream with the same playlist and the same bytes, and no replica
 * packages more than 25 streams (20 expected). Then hls.js in Chromium plays one stream through
 * a round-robin TCP balancer over the three, and one replica is killed with -9: playback goes on.
 */
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import HLS from 'hls-parser';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCapture } from '@jt1078/jt1078';
import { DeviceFleet, deviceSims, loadCapturePackets } from '@jt1078/svc-simulator';
import { rendezvousOwners } from '../services/packager/src/rendezvous-owners.js';
import { launchChromium } from './support/chromium.js';
import { launchPod, type Jt1078Pod } from './support/jt1078-pod.js';
import { freePort, uniquePrefix, until } from './support/services.js';
import { TcpRoundRobin } from './support/tcp-round-robin.js';

const require = createRequire(import.meta.url);
const CAPTURE = path.resolve(import.meta.dirname, '../testdata/media/h264-g711u.bin');
const STREAMS = 30;
const SIMS = deviceSims('013950000000', STREAMS);
const streamOf = (sim: string) => `live/jt1078-${sim}-1`;
const CLUSTER = ['  hls: { part_ms: 500, segment_ms: 1000 }', '  packager: { replicas_per_stream: 2, member_ttl_second: 3 }'];

HLS.setOptions({ strictMode: false, silent: true });

const PAGE = `<!doctype html><meta charset="utf-8"><title>player</title>
<video id="v" autoplay muted playsinline></video>
<script src="/hls.min.js"></script>
<script>
  window.state = { errors: [], events: [], stalls: [], lastAdvance: 0, lastTime: 0, played: 0 };
  const video = document.getElementById('v');
  const hls = new Hls({ lowLatencyMode: true });
  // Every error, fatal or retried, with when it happened and on which URL: a stall explains itself.
  const note = (what) => window.state.events.push(Math.round(performance.now()) + ' ' + what);
  hls.on(Hls.Events.ERROR, (_e, d) => {
    if (d.fatal) window.state.errors.push(d.details);
    note(d.details + (d.fatal ? ' fatal ' : ' ') + (d.response ? d.response.code + ' ' : '') + ((d.context && d.context.url) || (d.frag && d.frag.url) || ''));
  });
  window.note = note;
  hls.loadSource(new URLSearchParams(location.search).get('src'));
  hls.attachMedia(video);
  // Longest time the picture did not advance, once playing, and seconds of picture played (a jump
  // over a hole counts for at most one sample): sampled every 50 ms.
  setInterval(() => {
    const now = performance.now();
    if (video.currentTime > window.state.lastTime) {
      if (window.state.lastTime > 0) {
        window.state.stalls.push(now - window.state.lastAdvance);
        window.state.played += Math.min(video.currentTime - window.state.lastTime, 0.5);
      }
      if (window.state.lastTime > 0 && now - window.state.lastAdvance > 500) note('picture advances after ' + Math.round(now - window.state.lastAdvance) + ' ms');
      window.state.lastTime = video.currentTime;
      window.state.lastAdvance = now;
    }
  }, 50);
  window.maxStallSince = (t) => {
    const s = window.state;
    const open = s.lastTime > 0 ? performance.now() - s.lastAdvance : 0;
    return Math.max(open, ...s.stalls.slice(t));
  };
</script>`;

async function metric(pod: Jt1078Pod, name: string): Promise<number> {
  const text = await (await pod.get('/metrics')).text();
  // The pod's default labels follow the name: `name{service="…",pod="…"} value`.
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').at(-1)) : NaN;
}

async function text(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  return { status: res.status, body: await res.text() };
}

function nextPart(p: HLS.types.MediaPlaylist): [number, number] {
  const last = p.segments[p.segments.length - 1]!;
  if (last.uri) return [last.mediaSequenceNumber + 1, 0];
  return [last.mediaSequenceNumber, (last.parts ?? []).filter((x) => !x.hint).length];
}

describe('packager replicas share streams', () => {
  const root = uniquePrefix('sharing');
  let ingest: Jt1078Pod;
  const packagers: Jt1078Pod[] = [];
  let fleet: DeviceFleet;
  let balancer: TcpRoundRobin;
  let site: Server;
  let browser: BrowserContext;

  beforeAll(async () => {
    const live = await freePort();
    ingest = await launchPod({
      service: 'ingest', name: 'ingest-1', root,
      jt1078: [`  realtime: { addr: '127.0.0.1:${live}' }`, `  playback: { addr: '127.0.0.1:${await freePort()}' }`],
      cluster: CLUSTER,
    });
    fleet = new DeviceFleet({ host: '127.0.0.1', port: live, capture: loadCapturePackets(readCapture(CAPTURE)), sims: SIMS, loop: true, rampMs: 2000 });
    void fleet.start();
    for (const name of ['packager-a', 'packager-b', 'packager-c']) packagers.push(await launchPod({ service: 'packager', name, root, cluster: CLUSTER }));
    // Every replica sees all three before the first request (a replica alone would package all).
    await until(async () => (await Promise.all(packagers.map((p) => metric(p, 'jt1078_packager_members')))).every((n) => n === 3), 20_000, 'three members seen by each replica');
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    balancer?.close();
    site?.close();
    fleet?.stop();
    await Promise.all([...packagers.map((p) => p.terminate()), ingest?.terminate()]);
  });

  it('30 streams asked round-robin: every replica answers every stream with the same playlist and bytes, none packages more than 25', async () => {
    // Round-robin: stream i first asked of replica i mod 3.
    for (const [i, sim] of SIMS.entries()) {
      const p = packagers[i % 3]!;
      await until(async () => (await text(`${p.url}/hls/${streamOf(sim)}/index.m3u8`)).status === 200, 30_000, `${streamOf(sim)} from ${p.name}`);
    }
    // …and then of every replica.
    for (const sim of SIMS) for (const p of packagers) expect((await text(`${p.url}/hls/${streamOf(sim)}/index.m3u8`)).status).toBe(200);
    const packaged = await Promise.all(packagers.map((p) => metric(p, 'jt1078_packager_streams_packaged')));
    const proxied = await Promise.all(packagers.map(async (p) => (await (await p.get('/metrics')).text()).split('\n').filter((l) => l.startsWith('jt1078_packager_proxied_requests_total{')).reduce((n, l) => n + Number(l.split(' ').at(-1)), 0)));
    console.log(`streams packaged per replica: ${packaged.join(', ')} (k = 2 of 3, 30 streams); proxied requests: ${proxied.join(', ')}`);
    for (const n of packaged) expect(n).toBeLessThanOrEqual(25);
    expect(packaged.reduce((a, b) => a + b, 0)).toBe(2 * STREAMS);
    expect(proxied.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

    // Every replica, owner or proxy, gives the same playlist at the same point and the same bytes.
    for (const sim of SIMS.slice(0, 6)) {
      const base = (p: Jt1078Pod) => `${p.url}/hls/${streamOf(sim)}`;
      let same = false;
      for (let attempt = 0; attempt < 10 && !same; attempt++) {
        const [msn, part] = nextPart(HLS.parse((await text(`${base(packagers[0]!)}/index.m3u8`)).body) as HLS.types.MediaPlaylist);
        const q = `?_HLS_msn=${msn}&_HLS_part=${part}`;
        const bodies = await Promise.all(packagers.map(async (p) => (await text(`${base(p)}/index.m3u8${q}`)).body));
        same = bodies.every((b) => b === bodies[0]);
        if (!same) continue;
        const playlist = HLS.parse(bodies[0]!) as HLS.types.MediaPlaylist;
        const newest = playlist.segments.filter((s) => s.uri && !s.gap).at(-1)!;
        for (const uri of [newest.map!.uri, newest.uri]) {
          const files = await Promise.all(packagers.map(async (p) => Buffer.from(await (await fetch(`${base(p)}/${uri}`)).arrayBuffer())));
          expect(files[0]!.length, uri).toBeGreaterThan(0);
          for (const f of files) expect(Buffer.compare(f, files[0]!), `${streamOf(sim)}/${uri}`).toBe(0);
        }
      }
      expect(same, `${streamOf(sim)}: identical playlists from the three replicas`).toBe(true);
    }

    // Live MP4 from the replica that does not package the stream: forwarded as it flows.
    const sim = SIMS[0]!;
    const owners = rendezvousOwners(streamOf(sim), packagers.map((p) => ({ name: p.name, url: p.url })), 2).map((o) => o.name);
    const proxy = packagers.find((p) => !owners.includes(p.name))!;
    const abort = new AbortController();
    const res = await fetch(`${proxy.url}/mp4/${streamOf(sim)}.mp4`, { signal: abort.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    const reader = res.body!.getReader();
    const chunks: Uint8Array[] = [];
    let got = 0;
    while (got < 64 * 1024) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
      got += value.length;
    }
    abort.abort();
    const mp4 = Buffer.concat(chunks);
    expect(mp4.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(mp4.includes(Buffer.from('moof'))).toBe(true);
  }, 180_000);

  it('hls.js through a round-robin balancer over the three keeps playing when one replica is killed with -9', async () => {
    balancer = new TcpRoundRobin(packagers.map((p) => ({ host: '127.0.0.1', port: Number(new URL(p.url).port) })));
    const lbPort = await balancer.listen();
    const hlsJs = readFileSync(require.resolve('hls.js/dist/hls.min.js'));
    site = createServer((req, res) => {
      if (req.url === '/hls.min.js') res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(hlsJs);
      else res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE);
    });
    const sitePort = await freePort();
    await new Promise<void>((r) => site.listen(sitePort, '127.0.0.1', () => r()));
    browser = await launchChromium();
    const page = await browser.newPage();
    const sim = SIMS[7]!;
    await page.goto(`http://localhost:${sitePort}/?src=${encodeURIComponent(`http://127.0.0.1:${lbPort}/hls/${streamOf(sim)}/index.m3u8`)}`);
    // Steady playback first (3 s of picture, not a currentTime that starts where the stream's
    // timeline does): the kill lands on a player past its start-up.
    const played = () => page.evaluate(() => (window as unknown as { state: { played: number } }).state.played);
    await page.waitForFunction(() => (window as unknown as { state: { played: number } }).state.played > 3, undefined, { timeout: 60_000 });
    const stallsBefore = await page.evaluate(() => (window as unknown as { state: { stalls: number[] } }).state.stalls.length);
    // The stream's first owner (the replicas' own rendezvous choice) dies.
    const [first] = rendezvousOwners(streamOf(sim), packagers.map((p) => ({ name: p.name, url: p.url })), 2);
    const victim = packagers.find((p) => p.name === first!.name)!;
    await page.evaluate((name) => (window as unknown as { note(s: string): void }).note(`kill -9 ${name}`), victim.name);
    await victim.kill();
    const t = await played();
    await page.waitForFunction((t0) => (window as unknown as { state: { played: number } }).state.played > t0 + 8, t, { timeout: 60_000 });
    const seen = await page.evaluate((from) => {
      const w = window as unknown as { state: { errors: string[]; events: string[] }; maxStallSince(i: number): number };
      return { errors: w.state.errors, events: w.state.events, maxStallMs: w.maxStallSince(from) };
    }, stallsBefore);
    console.log(`hls.js across kill -9 of ${victim.name}: longest stall ${seen.maxStallMs.toFixed(0)} ms; hls.js saw (ms since page load):\n  ${seen.events.join('\n  ')}`);
    expect(seen.errors).toEqual([]);
    expect(seen.maxStallMs).toBeLessThanOrEqual(2000);
    await page.close();
  }, 150_000);
});
