/**
 * `jt1078 bench --only viewers`: what each viewer of one stream costs the packager, by protocol.
 * One `jt1078 packager` process on real NATS and Redis, one stream published into it as the
 * ingest does (the bench's 1 Mbit/s capture, 25 fps H.264 + G.711A, from a publisher process),
 * and its viewers:
 *
 * - FLV: plain HTTP readers of `/flv/<stream>.flv` in this process, counting the tags they read;
 * - WHEP: werift peers in a child process (viewers-bench/whep-viewers-process.ts), offering Opus
 *   first as a browser does, so the stream's G.711A is encoded to Opus once for all of them.
 *
 * At 1, 50 and 200 viewers, the packager's CPU (from /proc) over a window, beside its CPU with 0
 * viewers of the same stream in the same run (measured before and after the ramps); from them,
 * µs of packager CPU per viewer per second and per frame delivered (the delta over the baseline),
 * and the marginal cost of a viewer beyond the first (which pays for the stream's muxing or
 * packetization). Target (issue 19): measured, no threshold; WHEP viewers cost SRTP only.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ServiceProcess, cpuSeconds, freePort, loadAverage, type BenchContext, type BenchGroup, type BenchResult } from '../harness/index.js';
import { benchCapturePath } from '../ingest/bench-capture.js';
import { startPublishers } from './packager.bench.js';
import { FlvReaders } from './viewers-bench/flv-readers.js';
import type { WhepViewersCount, WhepViewersOpened } from './viewers-bench/whep-viewers-process.js';

const WHEP_VIEWERS = path.resolve(import.meta.dirname, 'viewers-bench/whep-viewers-process.ts');
/** The publisher's first SIM (packager.bench.ts's FIRST_SIM): the one stream every viewer watches. */
const STREAM = 'live/jt1078-013950000000-1';
const COUNTS = [1, 50, 200] as const;
/** Two UDP ports or so per WHEP viewer (one socket per host address). */
const WHEP_PORTS = 1024;

interface Window {
  /** Packager CPU, fraction of one core. */
  readonly cpu: number;
  readonly seconds: number;
  readonly frames: number;
}

/** The packager's CPU over `seconds`, and what `delivered()` grew by meanwhile. */
async function measure(pid: number, seconds: number, delivered: () => Promise<number>): Promise<Window> {
  const f0 = await delivered();
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = cpuSeconds(pid) - c0;
  const elapsed = (performance.now() - t0) / 1000;
  return { cpu: cpu / elapsed, seconds: elapsed, frames: (await delivered()) - f0 };
}

/**
 * WHEP viewers spread over a few child processes: one werift process cannot keep 200 peers'
 * SRTP and ICE consent going on a loaded machine (their ICE timed out), several can.
 */
const WHEP_VIEWER_PROCESSES = 4;

class WhepViewerProcess {
  private constructor(readonly child: ChildProcess) {}

  static async start(url: string): Promise<WhepViewerProcess> {
    const child = fork(WHEP_VIEWERS, [JSON.stringify({ url })], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`the WHEP viewers process exited with ${code} before it was ready`)));
    });
    return new WhepViewerProcess(child);
  }

  ask<T>(message: unknown): Promise<T> {
    return new Promise((resolve) => {
      this.child.once('message', (m) => resolve(m as T));
      this.child.send(message as string);
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.send('stop');
    });
  }
}

class WhepViewers {
  private constructor(readonly processes: readonly WhepViewerProcess[]) {}

  static async start(url: string): Promise<WhepViewers> {
    return new WhepViewers(await Promise.all(Array.from({ length: WHEP_VIEWER_PROCESSES }, () => WhepViewerProcess.start(url))));
  }

  /** n viewers in all, as even as the processes allow (1 viewer: one process holds it). */
  async open(n: number): Promise<WhepViewersOpened> {
    const k = this.processes.length;
    const each = await Promise.all(this.processes.map((p, i) => p.ask<WhepViewersOpened>({ viewers: Math.floor(n / k) + (i < n % k ? 1 : 0) })));
    const lastError = each.find((o) => o.lastError)?.lastError;
    return { connected: each.reduce((s, o) => s + o.connected, 0), failed: each.reduce((s, o) => s + o.failed, 0), ...(lastError ? { lastError } : {}) };
  }

  async frames(): Promise<number> {
    const counts = await Promise.all(this.processes.map((p) => p.ask<WhepViewersCount>('count')));
    return counts.reduce((s, c) => s + c.videoFrames + c.audioPackets, 0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop()));
  }
}

function results(protocol: string, base: Window, windows: ReadonlyMap<number, Window>, note: string): BenchResult[] {
  const out: BenchResult[] = [];
  const one = windows.get(1);
  for (const [n, w] of windows) {
    const delta = w.cpu - base.cpu;
    const baseline = { name: '0 viewers of the stream', value: base.cpu * 100, unit: '% of a core' };
    out.push(
      { name: `viewers.${protocol}.${n}.cpu`, value: w.cpu * 100, unit: '% of a core', baseline, ratio: w.cpu / Math.max(base.cpu, 1e-6), note: `${note}; ratio = value / baseline (higher costs more)` },
      { name: `viewers.${protocol}.${n}.us-per-viewer-second`, value: (delta * 1e6) / n, unit: 'µs CPU/viewer/s', note: `(CPU − baseline) / ${n} viewers: ${((delta * 100) / n).toFixed(3)} % of a core per viewer` },
      { name: `viewers.${protocol}.${n}.us-per-frame`, value: (delta * w.seconds * 1e6) / Math.max(1, w.frames), unit: 'µs CPU/frame', note: `${w.frames} audio+video frames delivered over ${w.seconds.toFixed(0)} s (${(w.frames / n / w.seconds).toFixed(1)} per viewer per s)` },
    );
    if (one && n > 1) out.push({ name: `viewers.${protocol}.${n}.marginal-us-per-viewer-second`, value: ((w.cpu - one.cpu) * 1e6) / (n - 1), unit: 'µs CPU/viewer/s', note: `(CPU at ${n} − CPU at 1) / ${n - 1}: a viewer beyond the first, the stream's own work excluded` });
  }
  return out;
}

async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const natsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
  const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const seconds = ctx.quick ? 4 : 15;
  const counts = ctx.quick ? [1, 5] : COUNTS;
  const root = `benchviewers${Date.now()}`;
  const httpPort = await freePort();
  const udp = 20000 + Math.floor(Math.random() * 20) * WHEP_PORTS;
  const packager = await ServiceProcess.start({
    service: 'packager', httpPort, natsUrl, redisUrl, cpuProfDir: process.env['JT1078_BENCH_CPU_PROF'],
    config: `cluster:\n  http: { addr: '127.0.0.1:${httpPort}' }\n  nats: { subject_root: ${root} }\n  viewers: { whep_max_sessions: 256, whep_udp_ports: [${udp}, ${udp + WHEP_PORTS - 1}] }\n`,
  });
  const publishers = await startPublishers({ natsUrl, redisUrl, root, file: benchCapturePath(), segmentMs: 2000, videoOnly: false }, 1);
  const flv = new FlvReaders(`${packager.url}/flv/${STREAM}.flv`);
  let whep: WhepViewers | undefined;
  try {
    await new Promise((r) => setTimeout(r, 4000));
    const load0 = loadAverage();
    const before = await measure(packager.pid, seconds, async () => 0);
    ctx.log(`0 viewers: packager ${(before.cpu * 100).toFixed(1)} % of a core (load ${load0})`);

    const flvWindows = new Map<number, Window>();
    for (const n of counts) {
      await flv.openUntil(n);
      await new Promise((r) => setTimeout(r, 2000));
      const w = await measure(packager.pid, seconds, async () => flv.tags);
      flvWindows.set(n, w);
      ctx.log(`FLV ${n} viewers: packager ${(w.cpu * 100).toFixed(1)} % of a core, ${w.frames} tags read (${flv.errors} reader errors, load ${loadAverage()})`);
    }
    const flvMetrics = await packager.metrics();
    flv.close();

    whep = await WhepViewers.start(`${packager.url}/whep/${STREAM}`);
    const whepWindows = new Map<number, Window>();
    let opened: WhepViewersOpened = { connected: 0, failed: 0 };
    for (const n of counts) {
      opened = await whep.open(n);
      if (opened.connected < n) ctx.log(`WHEP: ${opened.connected} of ${n} viewers connected (${opened.failed} failed: ${opened.lastError ?? ''})`);
      await new Promise((r) => setTimeout(r, 2000));
      const viewers = whep;
      const w = await measure(packager.pid, seconds, () => viewers.frames());
      whepWindows.set(opened.connected, w);
      ctx.log(`WHEP ${opened.connected} viewers: packager ${(w.cpu * 100).toFixed(1)} % of a core, ${w.frames} frames received (load ${loadAverage()})`);
    }
    const whepMetrics = await packager.metrics();
    await whep.stop();
    whep = undefined;
    // The streams' egress is released after its grace (10 s) once the last viewer has gone.
    await new Promise((r) => setTimeout(r, 12_000));
    const after = await measure(packager.pid, seconds, async () => 0);
    const load = loadAverage();
    ctx.log(`0 viewers again: packager ${(after.cpu * 100).toFixed(1)} % of a core (load ${load})`);
    const base: Window = { cpu: (before.cpu + after.cpu) / 2, seconds, frames: 0 };
    const baseNote = `baseline ${(before.cpu * 100).toFixed(1)} % before, ${(after.cpu * 100).toFixed(1)} % after the ramps; load average ${load0} → ${load} (a machine shared with other work)`;
    const cut = flvMetrics.byLabel('jt1078_packager_viewers_ended_total', 'reason');
    return [
      ...results('flv', base, flvWindows, `HTTP-FLV readers in the bench process; ${baseNote}; viewers cut slow: ${cut['slow'] ?? 0}`),
      ...results('whep', base, whepWindows, `werift peers in ${WHEP_VIEWER_PROCESSES} child processes, Opus offered first (G.711A encoded once to Opus); ${opened.failed} failed to connect; ${baseNote}`),
      { name: 'viewers.whep.sessions', value: whepMetrics.sum('jt1078_packager_viewers', { protocol: 'whep' }), unit: 'viewers', note: 'WHEP sessions the packager held at the top of the ramp' },
    ];
  } finally {
    flv.close();
    await whep?.stop();
    await publishers.stop();
    await packager.stop();
  }
}

export const viewersBenchGroups: readonly BenchGroup[] = [
  { name: 'viewers', description: 'packager CPU per WHEP and per FLV viewer of one stream at 1, 50 and 200 viewers, beside 0 viewers — on real NATS and Redis', run },
];
