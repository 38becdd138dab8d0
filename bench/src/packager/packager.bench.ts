/**
 * `jt1078 bench --only packager`: one `jt1078 packager` process on real NATS and Redis, fed by
 * publisher processes that play the part of the ingest (the bench's 1 Mbit/s capture, 25 fps
 * video + G.711A, marked and numbered as the ingest does), watched by players:
 *
 * - part availability: a frame published → a blocking playlist reload listing the part that
 *   holds it (the send stamp the publisher wrote into each video frame, read back from the
 *   part's samples; one monotonic clock for every process of the machine), p50/p99;
 * - streams per process: N streams packaged at once (each kept watched by a playlist poll every
 *   2 s), the packager's CPU and memory per stream, and whether part availability holds;
 * - browser latency: hls.js in Chromium (lowLatencyMode) playing one stream, `hls.latency`.
 *
 * Targets (issue 5): part availability p99 ≤ part duration + 100 ms; browser latency ≤ 2 s;
 * ≥ 500 video streams (1 Mbit/s) per packager process.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { readFragment } from '@jt1078/media/fmp4';
import { deviceSims, monotonicNs, readSendStamp } from '@jt1078/svc-simulator';
import { launchHeadlessChromium } from '../chromium/bench-chromium.js';
import { ServiceProcess, cpuSeconds, freePort, loadAverage, percentile, rssBytes, type BenchContext, type BenchGroup, type BenchResult } from '../harness/index.js';
import { benchCapturePath } from '../ingest/bench-capture.js';
import type { StreamPublisherArgs, StreamPublisherReport } from './stream-publisher-process.js';

const require = createRequire(import.meta.url);
const PUBLISHER = path.resolve(import.meta.dirname, 'stream-publisher-process.ts');
const PART_MS = 500;
const SEGMENT_MS = 2000;
const FIRST_SIM = '013950000000';
/** Publisher processes: the "ingest" side spread over the cores beside the packager. */
const PUBLISHERS = 2;
/** How often each watched stream's playlist is asked for (a player that keeps it acquired). */
const VIEWER_POLL_MS = 2000;

const pct = percentile;

export interface Publishers {
  stop(): Promise<StreamPublisherReport[]>;
}

export async function startPublishers(args: Omit<StreamPublisherArgs, 'firstSim' | 'count'>, streams: number): Promise<Publishers> {
  const sims = deviceSims(FIRST_SIM, streams);
  const per = Math.ceil(streams / PUBLISHERS);
  const children: ChildProcess[] = [];
  for (let i = 0; i * per < streams; i++) {
    const count = Math.min(per, streams - i * per);
    const child = fork(PUBLISHER, [JSON.stringify({ ...args, firstSim: sims[i * per]!, count })], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`a publisher exited with ${code} before it was ready`)));
    });
    children.push(child);
  }
  return {
    stop: () => Promise.all(children.map((c) => new Promise<StreamPublisherReport>((resolve) => {
      c.once('message', (m) => resolve(m as StreamPublisherReport));
      c.send('stop');
    }))),
  };
}

/**
 * Follows one stream's live edge with blocking reloads, part after part; for every video frame
 * in each new part: the time from its publication (its send stamp) to the reload that listed it.
 */
class PartAvailabilityProbe {
  readonly latenciesMs: number[] = [];
  errors = 0;
  #stopped = false;
  readonly #done: Promise<void>;

  constructor(private readonly playlistUrl: string) {
    this.#done = this.#run();
  }

  async #run(): Promise<void> {
    let next: [number, number] | undefined;
    while (!this.#stopped) {
      try {
        if (!next) {
          const text = await (await fetch(this.playlistUrl)).text();
          const parts = [...text.matchAll(/part-(\d+)\.(\d+)\.m4s/g)].map((m) => [Number(m[1]), Number(m[2])] as [number, number]);
          const last = parts[parts.length - 1];
          if (!last) throw new Error('no parts yet');
          next = [last[0], last[1] + 1];
        }
        const [msn, part] = next;
        const res = await fetch(`${this.playlistUrl}?_HLS_msn=${msn}&_HLS_part=${part}`, { signal: AbortSignal.timeout(10_000) });
        const listedAt = monotonicNs();
        const text = await res.text();
        if (res.status !== 200) throw new Error(`playlist ${res.status}`);
        if (!text.includes(`part-${msn}.${part}.m4s`)) {
          // The segment ended with fewer parts: the next one's first part comes next.
          next = text.includes(`part-${msn + 1}.0.m4s`) || text.includes(`seg-${msn}.m4s`) ? [msn + 1, 0] : undefined;
          continue;
        }
        const bytes = new Uint8Array(await (await fetch(this.playlistUrl.replace(/index\.m3u8$/, `part-${msn}.${part}.m4s`))).arrayBuffer());
        for (const track of readFragment(bytes)) {
          for (const s of track.samples) {
            const stamp = readSendStamp(s.data);
            if (stamp !== undefined) this.latenciesMs.push((listedAt - stamp) / 1e6);
          }
        }
        next = [msn, part + 1];
      } catch {
        this.errors++;
        next = undefined;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#done;
  }
}

/** Keeps `urls` acquired, as players would: each asked for every VIEWER_POLL_MS, spread over the period. */
function watch(urls: readonly string[]): () => void {
  let i = 0;
  const timer = setInterval(() => {
    const batch = Math.max(1, Math.ceil(urls.length / (VIEWER_POLL_MS / 50)));
    for (let k = 0; k < batch; k++) void fetch(urls[i++ % urls.length]!).then((r) => r.arrayBuffer(), () => undefined);
  }, 50);
  return () => clearInterval(timer);
}

async function browserLatency(ctx: BenchContext, playlistUrl: string, seconds: number): Promise<number[]> {
  const hlsJs = readFileSync(require.resolve('hls.js/dist/hls.min.js'));
  const page = `<!doctype html><video id="v" muted autoplay></video><script src="/hls.js"></script><script>
    const hls = new Hls({ lowLatencyMode: true, maxLiveSyncPlaybackRate: 1.5 }); hls.loadSource(${JSON.stringify(playlistUrl)}); hls.attachMedia(document.getElementById('v'));
    window.latency = () => hls.latency;</script>`;
  const site = createServer((req, res) => (req.url === '/hls.js' ? res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(hlsJs) : res.writeHead(200, { 'Content-Type': 'text/html' }).end(page)));
  const port = await freePort();
  await new Promise<void>((r) => site.listen(port, '127.0.0.1', () => r()));
  const browser = await launchHeadlessChromium();
  try {
    const tab = await browser.newPage();
    await tab.goto(`http://127.0.0.1:${port}/`);
    await tab.waitForFunction(() => document.querySelector('video')!.currentTime > 2, undefined, { timeout: 30_000 });
    const samples: number[] = [];
    for (let i = 0; i < seconds * 2; i++) {
      await new Promise((r) => setTimeout(r, 500));
      const l = await tab.evaluate(() => (window as unknown as { latency(): number }).latency());
      if (Number.isFinite(l) && l > 0) samples.push(l);
    }
    ctx.log(`browser: hls.js latency over ${seconds} s: ${samples.map((s) => s.toFixed(2)).join(' ')}`);
    return samples;
  } finally {
    await browser.close();
    site.close();
  }
}

async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const natsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
  const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const file = benchCapturePath();
  const results: BenchResult[] = [];
  const counts = process.env['JT1078_BENCH_STREAMS']?.split(',').map(Number) ?? (ctx.quick ? [10] : [1, 100, 250, 500]);
  // The target counts video streams; with audio, each stream's G.711A is also encoded to Opus.
  const videoOnly = process.env['JT1078_BENCH_AUDIO'] !== '1';
  const kind = videoOnly ? 'video' : 'video+audio';
  const seconds = ctx.quick ? 5 : 20;
  for (const n of counts) {
    const root = `benchpkg${Date.now()}`;
    const httpPort = await freePort();
    const packager = await ServiceProcess.start({
      service: 'packager', httpPort, natsUrl, redisUrl, cpuProfDir: process.env['JT1078_BENCH_CPU_PROF'],
      config: `cluster:\n  http: { addr: '127.0.0.1:${httpPort}' }\n  nats: { subject_root: ${root} }\n  hls: { part_ms: ${PART_MS}, segment_ms: ${SEGMENT_MS} }\n`,
    });
    const publishers = await startPublishers({ natsUrl, redisUrl, root, file, segmentMs: SEGMENT_MS, videoOnly }, n);
    const urls = deviceSims(FIRST_SIM, n).map((sim) => `${packager.url}/hls/live/jt1078-${sim}-1/index.m3u8`);
    const unwatch = watch(urls);
    // Every stream packaged and warm (the first request subscribes and replays the window).
    await new Promise((r) => setTimeout(r, Math.max(6000, VIEWER_POLL_MS * 2)));
    const load = loadAverage();
    const cpu0 = cpuSeconds(packager.pid);
    const t0 = performance.now();
    const probe = new PartAvailabilityProbe(urls[0]!);
    const browser = n === counts[0] && !ctx.quick ? browserLatency(ctx, urls[0]!, 15) : undefined;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    await probe.stop();
    const cpu = (cpuSeconds(packager.pid) - cpu0) / ((performance.now() - t0) / 1000);
    const rss = rssBytes(packager.pid);
    const latencies = await browser?.catch((err: Error) => {
      ctx.log(`browser latency not measured: ${err.message}`);
      return undefined;
    });
    const metrics = await packager.metrics();
    unwatch();
    const reports = await publishers.stop();
    await packager.stop();
    const sent = reports.reduce((a, r) => a + r.frames, 0);
    const packaged = metrics.sum('jt1078_packager_streams');
    const received = metrics.sum('jt1078_packager_frames_total');
    const sorted = [...probe.latenciesMs].sort((a, b) => a - b);
    const [p50, p99] = [pct(sorted, 50), pct(sorted, 99)];
    ctx.log(`${n} ${kind} streams (${packaged} packaged, ${sent} frames published, load ${load}): ${received} frames reached the packager, packager CPU ${(cpu * 100).toFixed(0)} %, RSS ${(rss / 2 ** 20).toFixed(0)} MiB; part availability p50 ${p50.toFixed(0)} ms p99 ${p99.toFixed(0)} ms over ${sorted.length} frames (${probe.errors} probe errors)`);
    results.push(
      { name: `packager.${kind}.${n}.part-availability.p50`, value: p50, unit: 'ms', note: `frame published → blocking reload listing its part, ${sorted.length} video frames; parts ${PART_MS} ms` },
      { name: `packager.${kind}.${n}.part-availability.p99`, value: p99, unit: 'ms', note: `target ≤ ${PART_MS + 100} ms` },
      { name: `packager.${kind}.${n}.cpu`, value: cpu * 100, unit: '% of a core', note: `load average ${load} (publishers, NATS and the probe share the machine)` },
      { name: `packager.${kind}.${n}.cpu-per-stream`, value: (cpu * 100) / n, unit: '% of a core' },
      { name: `packager.${kind}.${n}.rss-per-stream`, value: rss / n / 1024, unit: 'KiB', note: `process RSS ${(rss / 2 ** 20).toFixed(0)} MiB / ${n} streams (includes the runtime)` },
      { name: `packager.${kind}.${n}.streams-packaged`, value: packaged, unit: 'streams', note: `of ${n} published and watched` },
      { name: `packager.${kind}.${n}.frames-received`, value: received / sent, unit: 'ratio', note: `${received} of ${sent} published frames reached the packager through NATS` },
    );
    if (latencies?.length) {
      const s = [...latencies].sort((a, b) => a - b);
      results.push({ name: 'packager.browser-latency.p50', value: pct(s, 50), unit: 's', note: 'hls.js `latency` (lowLatencyMode), Chromium; target ≤ 2 s' }, { name: 'packager.browser-latency.max', value: s[s.length - 1]!, unit: 's' });
    }
  }
  return results;
}

export const packagerBenchGroups: readonly BenchGroup[] = [
  { name: 'packager', description: 'part availability, streams per packager process (CPU, memory), browser latency — on real NATS and Redis', run },
];
