/**
 * `jt1078 bench --only packager-sharing`: do packager replicas share the work? Four `jt1078
 * packager` processes, 200 video-only streams (the bench capture, 1 Mbit/s, 25 fps) published by
 * the packager bench's publisher processes, every stream's playlist asked for round-robin across
 * the four (players behind a balancer). Run twice in one bench run: each stream packaged by k = 2
 * replicas (the others proxy), then by k = 4 (every replica packages every stream, as before
 * streams were shared). Reported: the four packagers' CPU together in each run and its ratio
 * k = 2 / k = 4 (target ≤ 0.6), CPU per video frame packaged (target ≤ 25 µs), streams packaged
 * per replica and requests proxied. The machine is shared: ratios from one run are what count.
 * JT1078_BENCH_STREAMS sets the streams; JT1078_BENCH_CPU_PROF=DIR runs the packagers with
 * `--cpu-prof` into DIR.
 */
import { deviceSims } from '@jt1078/svc-simulator';
import { ServiceProcess, cpuSeconds, freePort, loadAverage, type BenchContext, type BenchGroup, type BenchResult } from '../harness/index.js';
import { benchCapturePath } from '../ingest/bench-capture.js';
import { startPublishers } from './packager.bench.js';

const REPLICAS = 4;
const FIRST_SIM = '013950000000';
const PART_MS = 500;
const SEGMENT_MS = 2000;
/** How often each stream's playlist is asked for (a player keeping it acquired). */
const VIEWER_POLL_MS = 2000;

interface SharingRun {
  readonly k: number;
  /** CPU of the four packagers together, in cores. */
  readonly cpu: number;
  readonly perReplicaCpu: number[];
  readonly packaged: number[];
  readonly videoFramesPackaged: number;
  readonly proxied: number;
  readonly seconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function sharingRun(ctx: BenchContext, k: number, streams: number, seconds: number): Promise<SharingRun> {
  const natsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
  const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const root = `benchshare${k}x${Date.now()}`;
  const packagers: ServiceProcess[] = [];
  let publishers: Awaited<ReturnType<typeof startPublishers>> | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    for (let i = 0; i < REPLICAS; i++) {
      const httpPort = await freePort();
      packagers.push(await ServiceProcess.start({
        service: 'packager', httpPort, natsUrl, redisUrl, cpuProfDir: process.env['JT1078_BENCH_CPU_PROF'],
        config: `cluster:\n  http: { addr: '127.0.0.1:${httpPort}' }\n  nats: { subject_root: ${root} }\n  hls: { part_ms: ${PART_MS}, segment_ms: ${SEGMENT_MS} }\n  packager: { replicas_per_stream: ${k}, member_ttl_second: 3 }\n`,
      }));
    }
    // Every replica sees the others before the first request.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !(await Promise.all(packagers.map(async (p) => (await p.metrics()).sum('jt1078_packager_members')))).every((n) => n === REPLICAS)) await sleep(250);
    publishers = await startPublishers({ natsUrl, redisUrl, root, file: benchCapturePath(), segmentMs: SEGMENT_MS, videoOnly: true }, streams);
    const paths = deviceSims(FIRST_SIM, streams).map((sim) => `/hls/live/jt1078-${sim}-1/index.m3u8`);
    let next = 0;
    timer = setInterval(() => {
      const batch = Math.max(1, Math.ceil(paths.length / (VIEWER_POLL_MS / 50)));
      for (let b = 0; b < batch; b++) {
        // Round-robin over the replicas, as a balancer in front of them would: each request of a
        // stream goes to the next replica.
        const i = next++;
        const s = i % paths.length;
        const replica = packagers[(s + Math.floor(i / paths.length)) % REPLICAS]!;
        void fetch(`${replica.url}${paths[s]}`).then((r) => r.arrayBuffer(), () => undefined);
      }
    }, 50);
    await sleep(Math.max(8000, VIEWER_POLL_MS * 3));
    const frames = async () => (await Promise.all(packagers.map(async (p) => (await p.metrics()).byLabel('jt1078_packager_frames_total', 'media')['video'] ?? 0))).reduce((a, b) => a + b, 0);
    const cpu0 = packagers.map((p) => cpuSeconds(p.pid));
    const f0 = await frames();
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const elapsed = (performance.now() - t0) / 1000;
    const perReplicaCpu = packagers.map((p, i) => (cpuSeconds(p.pid) - cpu0[i]!) / elapsed);
    const videoFramesPackaged = (await frames()) - f0;
    const metrics = await Promise.all(packagers.map((p) => p.metrics()));
    const packaged = metrics.map((m) => m.sum('jt1078_packager_streams_packaged'));
    const proxied = metrics.reduce((n, m) => n + m.sum('jt1078_packager_proxied_requests_total'), 0);
    const cpu = perReplicaCpu.reduce((a, b) => a + b, 0);
    ctx.log(`k = ${k}: ${REPLICAS} packagers ${(cpu * 100).toFixed(0)} % CPU together (${perReplicaCpu.map((c) => (c * 100).toFixed(0)).join(' + ')}), streams packaged ${packaged.join(' / ')}, ${videoFramesPackaged} video frames packaged in ${elapsed.toFixed(1)} s (${((cpu * elapsed * 1e6) / videoFramesPackaged).toFixed(1)} µs each), ${proxied} requests proxied; load ${loadAverage()}`);
    return { k, cpu, perReplicaCpu, packaged, videoFramesPackaged, proxied, seconds: elapsed };
  } finally {
    clearInterval(timer);
    await publishers?.stop().catch(() => undefined);
    await Promise.all(packagers.map((p) => p.stop().catch(() => undefined)));
  }
}

async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const streams = Number(process.env['JT1078_BENCH_STREAMS'] ?? (ctx.quick ? 20 : 200));
  const seconds = ctx.quick ? 5 : 15;
  const shared = await sharingRun(ctx, 2, streams, seconds);
  const everywhere = await sharingRun(ctx, REPLICAS, streams, seconds);
  const usPerFrame = (r: SharingRun) => (r.cpu * r.seconds * 1e6) / r.videoFramesPackaged;
  const ratio = shared.cpu / everywhere.cpu;
  // On a machine the bench saturates (CPU capped by what the scheduler gives), the raw ratio
  // tends to 1 whatever the work: the CPU each run needs for the whole offered load (its CPU per
  // frame × the frames k replicas must package) is reported beside it.
  const offered = streams * 25 * shared.seconds;
  const needed = (r: SharingRun) => usPerFrame(r) * offered * r.k;
  const normalised = needed(shared) / needed(everywhere);
  ctx.log(`CPU of ${REPLICAS} replicas, k = 2 / k = ${REPLICAS}: ${ratio.toFixed(2)} measured, ${normalised.toFixed(2)} for the whole offered load (target ≤ 0.6); ${usPerFrame(shared).toFixed(1)} µs per video frame packaged at k = 2 (target ≤ 25)`);
  const g = `packager-sharing.${streams}`;
  return [
    { name: `${g}.cpu.k2`, value: shared.cpu * 100, unit: `% of a core (${REPLICAS} replicas together)`, baseline: { name: `k = ${REPLICAS} (every replica packages every stream)`, value: everywhere.cpu * 100, unit: '%' }, ratio, note: 'target ratio ≤ 0.6' },
    { name: `${g}.cpu-for-offered-load.k2`, value: normalised, unit: 'ratio', note: `CPU per video frame × frames the k replicas must package, k = 2 over k = ${REPLICAS}: what the ratio is when the machine has the CPU (target ≤ 0.6)` },
    { name: `${g}.cpu-per-video-frame.k2`, value: usPerFrame(shared), unit: 'µs', note: `CPU of the replicas (proxying included) / video frames packaged; k = ${REPLICAS}: ${usPerFrame(everywhere).toFixed(1)} µs; target ≤ 25 µs` },
    { name: `${g}.streams-packaged.k2`, value: Math.max(...shared.packaged), unit: 'streams (most on one replica)', note: `per replica ${shared.packaged.join(' / ')} of ${streams}` },
    { name: `${g}.proxied.k2`, value: shared.proxied, unit: 'requests', note: `over the run; k = ${REPLICAS}: ${everywhere.proxied}` },
  ];
}

export const packagerSharingBenchGroups: readonly BenchGroup[] = [
  { name: 'packager-sharing', description: `${REPLICAS} packager replicas, 200 video streams asked round-robin: CPU with k = 2 vs k = ${REPLICAS} replicas per stream`, run },
];
