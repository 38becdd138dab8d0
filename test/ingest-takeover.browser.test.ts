/**
 * An ingest crash, as viewers see it: 20 devices stream through a TCP round-robin to one
 * `jt1078 ingest`; it is killed with -9 and the devices reconnect to the other one. Every stream
 * has its original name again (the dead pod's liveness lapses, the names are taken over), each old
 * connection gets exactly one leave, and hls.js playing the original URL keeps playing: the
 * numbering goes on from the cursor written at the last segment mark, after EXT-X-DISCONTINUITY.
 */
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsMediaBus, type EventEnvelope } from '@jt1078/bus';
import { readCapture } from '@jt1078/jt1078';
import { RedisStreamRegistry } from '@jt1078/store';
import { DeviceFleet, deviceSims, loadCapturePackets } from '@jt1078/svc-simulator';
import { launchChromium } from './support/chromium.js';
import { Jt1078Pod, launchPod } from './support/jt1078-pod.js';
import { freePort, natsUrl, redisUrl, uniquePrefix, until } from './support/services.js';
import { TcpRoundRobin } from './support/tcp-round-robin.js';

const require = createRequire(import.meta.url);
const CAPTURE = path.resolve(import.meta.dirname, '../testdata/media/h264-g711u.bin');
const DEVICES = 20;
const SIMS = deviceSims('013960000000', DEVICES);
const CLUSTER = ['  hls: { part_ms: 500, segment_ms: 1000 }', '  ingest: { registry_ttl_second: 3, drain_grace_second: 0 }'];

const PAGE = `<!doctype html><meta charset="utf-8"><title>player</title>
<video id="v" autoplay muted playsinline></video>
<script src="/hls.min.js"></script>
<script>
  window.state = { errors: [], lastTime: 0, lastAdvance: 0, maxStall: 0 };
  const video = document.getElementById('v');
  const hls = new Hls({ lowLatencyMode: true });
  window.state.all = [];
  hls.on(Hls.Events.ERROR, (_e, d) => { window.state.all.push(d.details + ': ' + (d.reason || (d.error && d.error.message) || '')); if (d.fatal) window.state.errors.push(d.details); });
  hls.loadSource(new URLSearchParams(location.search).get('src'));
  hls.attachMedia(video);
  setInterval(() => {
    const s = window.state, now = performance.now();
    if (video.currentTime > s.lastTime) {
      if (s.lastTime > 0) s.maxStall = Math.max(s.maxStall, now - s.lastAdvance);
      s.lastTime = video.currentTime;
      s.lastAdvance = now;
    }
  }, 50);
</script>`;

describe('ingest killed with -9: names, leaves and playback survive', () => {
  const root = uniquePrefix('takeover');
  let a: Jt1078Pod;
  let b: Jt1078Pod;
  let packager: Jt1078Pod;
  let balancer: TcpRoundRobin;
  let fleet: DeviceFleet;
  let bus: NatsMediaBus;
  let registry: RedisStreamRegistry;
  let site: Server;
  let browser: BrowserContext;
  const events: EventEnvelope[] = [];
  const portA = freePort();
  const portB = freePort();

  beforeAll(async () => {
    bus = await NatsMediaBus.connect({ url: await natsUrl(), root });
    registry = new RedisStreamRegistry(await redisUrl(), root);
    await bus.consumeEvents(uniquePrefix('ev'), (p) => {
      events.push(p.event);
      void p.ack().catch(() => undefined); // a test's teardown can delete the stream under an ack in flight
    });
    const [pa, pb] = [await portA, await portB];
    const ingestConfig = (port: number) => ({ jt1078: [`  realtime: { addr: '127.0.0.1:${port}' }`, `  playback: { addr: '127.0.0.1:0' }`], cluster: CLUSTER });
    a = await launchPod({ service: 'ingest', name: 'ingest-a', root, ...ingestConfig(pa) });
    // B is not listening yet: the balancer sends every device to A.
    balancer = new TcpRoundRobin([{ host: '127.0.0.1', port: pa }, { host: '127.0.0.1', port: pb }]);
    const lb = await balancer.listen();
    fleet = new DeviceFleet({ host: '127.0.0.1', port: lb, capture: loadCapturePackets(readCapture(CAPTURE)), sims: SIMS, loop: true, rampMs: 1000 });
    void fleet.start();
    await until(async () => (await registry.list()).length === DEVICES, 20_000, 'every device live on ingest-a');
    b = await launchPod({ service: 'ingest', name: 'ingest-b', root, ...ingestConfig(pb) });
    packager = await launchPod({ service: 'packager', name: 'packager-t', root, cluster: CLUSTER });
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    site?.close();
    fleet?.stop();
    balancer?.close();
    await Promise.all([a?.terminate(), b?.terminate(), packager?.terminate()]);
    await bus?.deleteStreams();
    await bus?.close();
    await registry?.clear();
    await registry?.close();
  });

  it('every stream is back under its original name, one leave per old connection, hls.js plays on through it', async () => {
    const stream = `live/jt1078-${SIMS[3]}-1`;
    const playlist = `${packager.url}/hls/${stream}/index.m3u8`;
    await until(async () => (await fetch(playlist)).status === 200, 20_000, 'the packager to serve the stream');
    const hlsJs = readFileSync(require.resolve('hls.js/dist/hls.min.js'));
    site = createServer((req, res) => {
      if (req.url === '/hls.min.js') res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(hlsJs);
      else res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE);
    });
    const sitePort = await freePort();
    await new Promise<void>((r) => site.listen(sitePort, '127.0.0.1', () => r()));
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`http://localhost:${sitePort}/?src=${encodeURIComponent(playlist)}`);
    await page.waitForFunction(() => document.querySelector('video')!.currentTime > 3, undefined, { timeout: 60_000 });

    const before = await registry.list();
    expect(before.filter((e) => e.pod === 'ingest-a')).toHaveLength(DEVICES);
    const lastBefore = Math.max(...[...(await (await fetch(playlist)).text()).matchAll(/seg-(\d+)\.m4s/g)].map((m) => Number(m[1])));
    const killedAt = Date.now();
    await a.kill();
    await until(async () => {
      const now = await registry.list();
      return before.every((e) => now.some((n) => n.name === e.name && n.pod === 'ingest-b'));
    }, 20_000, 'every original name live on ingest-b');
    console.log(`${DEVICES} streams back under their original names ${Date.now() - killedAt} ms after kill -9`);
    expect((await registry.list()).map((e) => e.name).sort()).toEqual(before.map((e) => e.name).sort());

    // One leave per old connection, whoever emitted it (its id is the connection's).
    await until(() => before.every((e) => events.some((ev) => ev.action === 'leave' && ev.id.startsWith(`${e.connectionId}.`))), 15_000, 'a leave per old connection');
    await new Promise((r) => setTimeout(r, 4000)); // past the registry TTL: a reaper would have emitted a second
    for (const e of before) expect(events.filter((ev) => ev.action === 'leave' && ev.id.startsWith(`${e.connectionId}.`)), e.name).toHaveLength(1);

    // The player on the original URL plays on; the playlist continues after a discontinuity.
    const t = await page.evaluate(() => document.querySelector('video')!.currentTime);
    try {
      await page.waitForFunction((t0) => document.querySelector('video')!.currentTime > t0 + 4, t, { timeout: 40_000 });
    } catch (err) {
      const state = await page.evaluate(() => ({ ...(window as unknown as { state: object }).state, time: document.querySelector('video')!.currentTime, buffered: [...Array(document.querySelector('video')!.buffered.length).keys()].map((i) => [document.querySelector('video')!.buffered.start(i), document.querySelector('video')!.buffered.end(i)]) }));
      throw new Error(`the player stopped at ${t}: ${JSON.stringify(state)}; playlist now:\n${await (await fetch(playlist)).text()}\npackager log:\n${packager.log.slice(-3000)}`, { cause: err });
    }
    const seen = await page.evaluate(() => (window as unknown as { state: { errors: string[]; maxStall: number } }).state);
    console.log(`hls.js across the ingest crash: longest stall ${seen.maxStall.toFixed(0)} ms`);
    expect(seen.errors).toEqual([]);
    const after = await (await fetch(playlist)).text();
    expect(after).toContain('#EXT-X-DISCONTINUITY');
    expect(after).not.toContain('#EXT-X-ENDLIST');
    const numbers = [...after.matchAll(/seg-(\d+)\.m4s/g)].map((m) => Number(m[1]));
    numbers.forEach((n, i) => i > 0 && expect(n).toBe(numbers[i - 1]! + 1));
    expect(Math.max(...numbers)).toBeGreaterThan(lastBefore);
    await page.close();
  }, 150_000);
});
