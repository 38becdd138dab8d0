/**
 * `jt1078 bench --only ingest` (issue 4): N simulated devices against one `jt1078 ingest`
 * process (a child, as a pod runs it) on real NATS and Redis. Device counts from
 * JT1078_BENCH_DEVICES (default 200,500,1000; `--quick`: 50); JT1078_BENCH_CPU_PROF=DIR runs the
 * ingest with `--cpu-prof` into DIR; JT1078_BENCH_INGEST_BIN runs another checkout's ingest.
 *
 * - Devices: the bench capture (bench/bench-capture.ts: ffmpeg-made H.264 at ~1 Mbit/s, 25 fps,
 *   and G.711A: 75 frames/s), looped, from K fleet processes of at most 500 devices each, so they
 *   share the ingest's cores only as the scheduler decides; their starts are spread over one GOP.
 * - Reported for the load run: frames/s and MB/s reaching a plain NATS subscriber in this
 *   process (beside what the devices offer), the ingest's CPU (and µs per frame, and the frames/s
 *   that implies per core), its RSS per connection, device write → subscriber latency p50/p99
 *   from the clock each device stamps into every video frame as it writes it, the ingest's drops
 *   by reason, and the CPU of the NATS server, the fleet, this process and the whole machine.
 * - Memory per idle connection, separately: a fresh ingest, N connections that each open their
 *   stream (one key frame) and go quiet; RSS delta / N.
 * - The bound, in the same run: a plain nats.js client in a process of its own publishing
 *   messages of the same sizes (payload + headers) as fast as the server takes them onto the
 *   same kind of subjects (core NATS, as the ingest's: no JetStream stream captures media); the
 *   ratio is frames/s delivered over the lower of the bound's messages/s and the offered load.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { connect as tcpConnect, type Socket } from 'node:net';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { NatsMediaBus, frameHeaderBlock } from '@jt1078/bus';
import { readCapture, type AssembledFrame } from '@jt1078/jt1078';
import { framesOf } from '@jt1078/jt1078/testdata';
import { RedisStreamRegistry } from '@jt1078/store';
import { CaptureReplay, deviceSims, loadCapturePackets } from '@jt1078/svc-simulator';
import { BENCH_SIM, benchCapturePath } from './bench-capture.js';
import type { FleetProcessArgs, FleetProcessReport } from './fleet-process.js';
import { FrameReceiver } from './frame-receiver.js';
import { startIngestProcess, type IngestProcess } from './ingest-process.js';
import type { PlainPublishArgs, PlainPublishReport } from './plain-publish-process.js';
import {
  coreCount, cpuSeconds, listenerPid, loadAverage, machineBusySeconds, rssBytes, type BenchContext, type BenchGroup, type BenchResult, type MetricsSnapshot,
} from '../harness/index.js';

const FLEET_PROCESS = path.join(import.meta.dirname, 'fleet-process.ts');
const PLAIN_PUBLISH_PROCESS = path.join(import.meta.dirname, 'plain-publish-process.ts');
const DEVICES_PER_FLEET_PROCESS = 500;
/** Devices start spread over one GOP (2 s): their key frames do not all land at once. */
const RAMP_MS = 2000;
/** After the last device started, before measuring: every stream claimed and joined, the pipeline steady. */
const SETTLE_MS = 3000;
/** Idle streams opening (a light load) must all be live within this. */
const CONNECT_TIMEOUT_MS = 60_000;
/**
 * The load run measures once every device has its stream, or this long after the fleet started,
 * whichever comes first: an overloaded ingest accepts slowly (its accept loop shares the event
 * loop with the devices already streaming), and the report says how many were live.
 */
const RAMP_WAIT_MS = 30_000;
/** After N idle connections have opened their streams, RSS is read twice: soon, and once V8's memory reducer has run (it starts on an idle heap after some seconds). */
const IDLE_SETTLE_MS = 5000;
const IDLE_LONG_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`ingest bench: timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

/** What one device sends: frames/s, wire bytes/s, and the sizes of the messages the ingest makes of its frames. */
interface CaptureShape {
  readonly file: string;
  readonly framesPerSecond: number;
  readonly wireBytesPerSecond: number;
  readonly messageSizes: readonly number[];
}

function captureShape(file: string): CaptureShape {
  const bytes = readCapture(file);
  const capture = loadCapturePackets(bytes);
  const frames = framesOf(bytes);
  const seconds = capture.durationMs / 1000;
  // The headers the ingest puts on each (connection ids are UUIDs, sequence numbers grow).
  const header = (f: AssembledFrame, i: number) =>
    frameHeaderBlock({
      streamKind: 'live', sim: BENCH_SIM, channel: 1, codec: f.codec ?? 'h264', mediaKind: f.kind === 'audio' ? 'audio' : 'video', keyFrame: f.keyFrame,
      timestamp: f.timestamp ?? 0, sequence: 100_000 + i, connectionId: '00000000-0000-4000-8000-000000000000', streamPath: `live/jt1078-${BENCH_SIM}-1`, data: f.data,
    }).length;
  return { file, framesPerSecond: frames.length / seconds, wireBytesPerSecond: bytes.length / seconds, messageSizes: frames.map((f, i) => f.data.length + header(f, i)) };
}

async function cleanUp(url: string, redis: string, root: string): Promise<void> {
  const bus = await NatsMediaBus.connect({ url, root });
  await bus.deleteStreams();
  await bus.close();
  const registry = new RedisStreamRegistry(redis, root);
  await registry.clear();
  await registry.close();
}

function forkChild<A, R>(script: string, args: A): { child: ChildProcess; report: Promise<R> } {
  const child = fork(script, [JSON.stringify(args)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const report = new Promise<R>((resolve, reject) => {
    child.once('message', (m) => resolve(m as R));
    child.once('exit', (code) => reject(new Error(`${path.basename(script)} exited with ${code} before reporting`)));
  });
  report.catch(() => undefined);
  return { child, report };
}

/** CPU seconds and time, taken at the start and the end of a measurement window. */
interface Snapshot {
  readonly at: number;
  readonly ingestCpu: number;
  readonly natsCpu: number;
  readonly fleetCpu: number;
  readonly benchCpu: number;
  readonly machineBusy: number;
  readonly received: { messages: number; bytes: number };
  readonly metrics: MetricsSnapshot;
}

async function snapshot(ingest: IngestProcess, natsPid: number | undefined, fleet: readonly ChildProcess[], receiver: FrameReceiver): Promise<Snapshot> {
  const metrics = await ingest.metrics();
  const bench = process.cpuUsage();
  return {
    at: performance.now(),
    ingestCpu: cpuSeconds(ingest.pid),
    natsCpu: natsPid === undefined ? NaN : cpuSeconds(natsPid),
    fleetCpu: fleet.reduce((n, c) => n + cpuSeconds(c.pid!), 0),
    benchCpu: (bench.user + bench.system) / 1e6,
    machineBusy: machineBusySeconds(),
    received: receiver.counts(),
    metrics,
  };
}

const framesIn = (m: MetricsSnapshot) => m.sum('jt1078_ingest_frames_total') + m.sum('jt1078_ingest_frames_dropped_total');

interface LoadRun {
  readonly devices: number;
  readonly seconds: number;
  readonly framesPerSecond: number;
  readonly megabytesPerSecond: number;
  readonly offeredFramesPerSecond: number;
  /** Frames the ingest completed from what the devices sent (published + dropped), per second. */
  readonly ingestFramesPerSecond: number;
  readonly ingestCpu: number;
  readonly natsCpu: number;
  readonly fleetCpu: number;
  readonly benchCpu: number;
  readonly machineBusy: number;
  readonly rssBytes: number;
  readonly unsentBytes: number;
  readonly p50: number;
  readonly p99: number;
  readonly samples: number;
  /** The ingest's event-loop delay over the window (prom-client's monitorEventLoopDelay, reset at each scrape), ms. */
  readonly loopDelayP99: number;
  readonly loopDelayMax: number;
  readonly drops: Record<string, number>;
  readonly subscriberDisconnects: number;
  /** Streams live on the ingest through the whole measurement. */
  readonly liveStreams: number;
}

async function loadRun(ctx: BenchContext, url: string, redis: string, shape: CaptureShape, devices: number, seconds: number): Promise<LoadRun> {
  const root = `benchingest${devices}x${Date.now().toString(36)}`;
  const ingest = await startIngestProcess({ natsUrl: url, redisUrl: redis, root, maxConnections: devices + 100, cpuProfDir: process.env['JT1078_BENCH_CPU_PROF'] });
  const nc = await connect({ servers: url });
  const fleet: Array<{ child: ChildProcess; report: Promise<FleetProcessReport> }> = [];
  try {
    const receiver = new FrameReceiver(nc, `${root}.media.>`);
    await nc.flush();
    // Process k gets a consecutive range of SIMs (deviceSims counts up from its first).
    const processes = Math.ceil(devices / DEVICES_PER_FLEET_PROCESS);
    const sims = deviceSims(BENCH_SIM, devices);
    const per = Math.ceil(devices / processes);
    for (let k = 0; k * per < devices; k++) {
      const count = Math.min(per, devices - k * per);
      fleet.push(forkChild<FleetProcessArgs, FleetProcessReport>(FLEET_PROCESS, { file: shape.file, host: '127.0.0.1', port: ingest.devicePort, firstSim: sims[k * per]!, count, rampMs: RAMP_MS }));
    }
    const rampEnd = Date.now() + RAMP_WAIT_MS;
    while (Date.now() < rampEnd && (await ingest.metrics()).sum('jt1078_ingest_streams') < devices) await sleep(500);
    await sleep(SETTLE_MS);
    const natsPid = listenerPid(Number(new URL(url).port || 4222));
    const children = fleet.map((f) => f.child);
    const before = await snapshot(ingest, natsPid, children, receiver);
    receiver.measure();
    await sleep(seconds * 1000);
    const after = await snapshot(ingest, natsPid, children, receiver);
    const live = Math.min(before.metrics.sum('jt1078_ingest_streams'), after.metrics.sum('jt1078_ingest_streams'));
    const lat = receiver.latencies(50, 99);
    const elapsed = (after.at - before.at) / 1000;
    const dropsBefore = before.metrics.byLabel('jt1078_ingest_frames_dropped_total', 'reason');
    const drops = Object.fromEntries(Object.entries(after.metrics.byLabel('jt1078_ingest_frames_dropped_total', 'reason')).map(([r, n]) => [r, n - (dropsBefore[r] ?? 0)]));
    for (const [r, n] of Object.entries(after.metrics.byLabel('jt1078_ingest_bus_frames_dropped', 'reason'))) if (n > 0) drops[`bus:${r}`] = n;
    for (const f of fleet) f.child.send('stop');
    await Promise.all(fleet.map((f) => f.report));
    receiver.stop();
    return {
      devices,
      seconds: elapsed,
      framesPerSecond: (after.received.messages - before.received.messages) / elapsed,
      megabytesPerSecond: (after.received.bytes - before.received.bytes) / elapsed / 1e6,
      offeredFramesPerSecond: devices * shape.framesPerSecond,
      ingestFramesPerSecond: (framesIn(after.metrics) - framesIn(before.metrics)) / elapsed,
      ingestCpu: (after.ingestCpu - before.ingestCpu) / elapsed,
      natsCpu: (after.natsCpu - before.natsCpu) / elapsed,
      fleetCpu: (after.fleetCpu - before.fleetCpu) / elapsed,
      benchCpu: (after.benchCpu - before.benchCpu) / elapsed,
      machineBusy: (after.machineBusy - before.machineBusy) / elapsed,
      rssBytes: rssBytes(ingest.pid),
      unsentBytes: after.metrics.sum('jt1078_ingest_bus_unsent_bytes'),
      p50: lat.ms[0]!,
      p99: lat.ms[1]!,
      samples: lat.samples,
      loopDelayP99: after.metrics.sum('nodejs_eventloop_lag_p99_seconds') * 1000,
      loopDelayMax: after.metrics.sum('nodejs_eventloop_lag_max_seconds') * 1000,
      drops,
      subscriberDisconnects: receiver.disconnects,
      liveStreams: live,
    };
  } finally {
    for (const f of fleet) if (f.child.exitCode === null) f.child.kill('SIGKILL');
    await ingest.stop();
    await nc.close();
    await cleanUp(url, redis, root).catch((err: unknown) => ctx.log(`clean-up of ${root} failed: ${(err as Error).message}`));
  }
}

/** A fresh ingest and N connections that each open a stream (its first key frame) and go quiet: RSS delta / N. */
interface IdleMemory {
  /** RSS delta / N, IDLE_SETTLE_MS after the last stream opened. */
  readonly soon: number;
  /** The same at IDLE_LONG_MS. */
  readonly later: number;
  /** V8 heap used, delta / N, at IDLE_LONG_MS. */
  readonly heap: number;
}

async function idleMemory(ctx: BenchContext, url: string, redis: string, shape: CaptureShape, devices: number, quick: boolean): Promise<IdleMemory> {
  const root = `benchidle${devices}x${Date.now().toString(36)}`;
  const ingest = await startIngestProcess({ natsUrl: url, redisUrl: redis, root, maxConnections: devices + 100 });
  const sockets: Socket[] = [];
  try {
    const capture = loadCapturePackets(readCapture(shape.file));
    // Packets up to and including the one that completes the first video frame (the key frame), and the audio among them.
    const firstFrameEnd = capture.packets.findIndex((p) => p.dataType <= 2 && (p.subpackage === 0 || p.subpackage === 2));
    // The ingest's own start-up garbage is collected first (V8's memory reducer), or it would be counted against the connections.
    await sleep(quick ? IDLE_SETTLE_MS : IDLE_LONG_MS);
    const heap = async () => (await ingest.metrics()).sum('nodejs_heap_size_used_bytes');
    const rss0 = rssBytes(ingest.pid);
    const heap0 = await heap();
    for (const sim of deviceSims(BENCH_SIM, devices)) {
      const replay = new CaptureReplay(capture, { sim, loop: false });
      const opening = Array.from({ length: firstFrameEnd + 1 }, () => replay.next()!.bytes);
      const socket = tcpConnect({ host: '127.0.0.1', port: ingest.devicePort }, () => void socket.write(Buffer.concat(opening)));
      socket.on('error', () => {});
      sockets.push(socket);
      if (sockets.length % 200 === 0) await sleep(50);
    }
    await until(async () => (await ingest.metrics()).sum('jt1078_ingest_streams') >= devices, CONNECT_TIMEOUT_MS, `${devices} idle streams`);
    await sleep(IDLE_SETTLE_MS);
    const soon = (rssBytes(ingest.pid) - rss0) / devices;
    await sleep(quick ? 0 : IDLE_LONG_MS - IDLE_SETTLE_MS);
    return { soon, later: (rssBytes(ingest.pid) - rss0) / devices, heap: ((await heap()) - heap0) / devices };
  } finally {
    for (const s of sockets) s.destroy();
    await ingest.stop();
    await cleanUp(url, redis, root).catch((err: unknown) => ctx.log(`clean-up of ${root} failed: ${(err as Error).message}`));
  }
}

interface Bound {
  readonly messagesPerSecond: number;
  readonly megabytesPerSecond: number;
  readonly cpuMicrosPerMessage: number;
}

/** The plain publish bound: messages delivered per second to the same kind of subscriber, over `seconds` after a warm-up. */
async function plainBound(url: string, shape: CaptureShape, streams: number, seconds: number): Promise<Bound> {
  const root = `benchbound${Date.now().toString(36)}`;
  const nc = await connect({ servers: url });
  const warmUpMs = 500;
  try {
    const receiver = new FrameReceiver(nc, `${root}.media.>`);
    await nc.flush();
    const { report } = forkChild<PlainPublishArgs, PlainPublishReport>(PLAIN_PUBLISH_PROCESS, {
      url, subjectPrefix: `${root}.media.live`, sims: deviceSims(BENCH_SIM, streams), sizes: shape.messageSizes, seconds: seconds + warmUpMs / 1000,
    });
    await sleep(warmUpMs);
    const start = { at: performance.now(), ...receiver.counts() };
    await sleep(seconds * 1000);
    const elapsed = (performance.now() - start.at) / 1000;
    const end = receiver.counts();
    const r = await report;
    receiver.stop();
    return {
      messagesPerSecond: (end.messages - start.messages) / elapsed,
      megabytesPerSecond: (end.bytes - start.bytes) / elapsed / 1e6,
      cpuMicrosPerMessage: (r.cpuSeconds * 1e6) / r.messages,
    };
  } finally {
    await nc.close();
  }
}

const f0 = (n: number) => n.toFixed(0);
const f1 = (n: number) => n.toFixed(1);

async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const url = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
  const redis = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const shape = captureShape(benchCapturePath());
  const meanMessage = shape.messageSizes.reduce((a, b) => a + b, 0) / shape.messageSizes.length;
  ctx.log(`capture ${shape.file}: ${f1(shape.framesPerSecond)} frames/s, ${f0((shape.wireBytesPerSecond * 8) / 1000)} kbit/s on the wire, messages ${f0(meanMessage)} bytes on average; ${coreCount()} cores, load ${loadAverage()}`);
  const sizes = process.env['JT1078_BENCH_DEVICES']?.split(',').map(Number) ?? (ctx.quick ? [50] : [200, 500, 1000]);
  // JT1078_BENCH_IDLE=0 leaves out the idle-memory run (35 s per size) when only throughput and CPU are wanted.
  const measureIdle = process.env['JT1078_BENCH_IDLE'] !== '0';
  const seconds = ctx.quick ? 3 : 10;
  const results: BenchResult[] = [];
  for (const n of sizes) {
    const r = await loadRun(ctx, url, redis, shape, n, seconds);
    const idle = measureIdle ? await idleMemory(ctx, url, redis, shape, n, ctx.quick) : { soon: NaN, later: NaN, heap: NaN };
    const bound = await plainBound(url, shape, n, ctx.quick ? 2 : 5);
    const usPerFrame = (r.ingestCpu * 1e6) / r.ingestFramesPerSecond;
    // What the ingest can be held to: the bound, or what the devices offer when that is lower.
    const target = Math.min(bound.messagesPerSecond, r.offeredFramesPerSecond);
    const dropped = Object.entries(r.drops).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${f0(v)}`).join(', ') || 'none';
    ctx.log(
      `${n} devices (${r.liveStreams} streams live): ${f0(r.framesPerSecond)} frames/s of ${f0(r.offeredFramesPerSecond)} offered, ${f1(r.megabytesPerSecond)} MB/s; ` +
        `ingest ${f0(r.ingestCpu * 100)}% CPU (${f1(usPerFrame)} µs/frame), RSS ${f0(r.rssBytes / 2 ** 20)} MiB, idle ${f1(idle.soon / 1024)} → ${f1(idle.later / 1024)} KiB/connection; ` +
        `latency p50 ${f1(r.p50)} ms p99 ${f1(r.p99)} ms (${r.samples} frames), ingest event-loop delay p99 ${f1(r.loopDelayP99)} ms max ${f1(r.loopDelayMax)} ms; drops: ${dropped}; ` +
        `NATS server ${f0(r.natsCpu * 100)}%, fleet ${f0(r.fleetCpu * 100)}%, subscriber ${f0(r.benchCpu * 100)}%, machine ${f0(r.machineBusy * 100)}% of ${coreCount() * 100}%; ` +
        `bound ${f0(bound.messagesPerSecond)} msgs/s plain core publish (${f1(bound.megabytesPerSecond)} MB/s, ${f1(bound.cpuMicrosPerMessage)} µs/msg); ` +
        `delivered ${(r.framesPerSecond / r.offeredFramesPerSecond).toFixed(3)} of offered, ${(r.framesPerSecond / target).toFixed(3)} of min(bound, offered)` +
        (r.subscriberDisconnects > 0 ? `; the subscriber was disconnected ${r.subscriberDisconnects}× (slow consumer)` : ''),
    );
    const g = `ingest.${n}`;
    results.push(
      { name: `${g}.frames`, value: r.framesPerSecond, unit: 'frames/s', note: `reaching a plain subscriber, of ${f0(r.offeredFramesPerSecond)} offered (${n} devices × ${f1(shape.framesPerSecond)}); ${r.liveStreams} streams live` },
      { name: `${g}.ingest-frames`, value: r.ingestFramesPerSecond, unit: 'frames/s', note: 'frames the ingest completed from what it read (published + dropped)' },
      { name: `${g}.throughput`, value: r.megabytesPerSecond, unit: 'MB/s' },
      { name: `${g}.delivered`, value: r.framesPerSecond / r.offeredFramesPerSecond, unit: 'ratio', note: 'frames reaching the subscriber / frames the devices offered' },
      { name: `${g}.vs-bound`, value: r.framesPerSecond / target, unit: 'ratio', baseline: { name: 'min(plain core publish bound, offered)', value: target, unit: 'msgs/s' }, ratio: r.framesPerSecond / target, note: `plain core publish bound ${f0(bound.messagesPerSecond)} msgs/s, offered ${f0(r.offeredFramesPerSecond)} frames/s` },
      { name: `${g}.cpu`, value: r.ingestCpu * 100, unit: '% of a core' },
      { name: `${g}.cpu-per-frame`, value: usPerFrame, unit: 'µs', baseline: { name: 'plain publish CPU per message', value: bound.cpuMicrosPerMessage, unit: 'µs' }, ratio: usPerFrame / bound.cpuMicrosPerMessage, note: `lower is better; implies ${f0(1e6 / usPerFrame)} frames/s per core` },
      { name: `${g}.rss-per-connection`, value: r.rssBytes / n / 1024, unit: 'KiB', note: `process RSS ${f0(r.rssBytes / 2 ** 20)} MiB under load / ${n} (runtime included)` },
      {
        name: `${g}.idle-memory-per-connection`, value: idle.later / 1024, unit: 'KiB',
        note: `RSS delta / ${n} idle connections with a stream open, after ${IDLE_LONG_MS / 1000} s (${f1(idle.soon / 1024)} KiB after ${IDLE_SETTLE_MS / 1000} s); V8 heap ${f1(idle.heap / 1024)} KiB each`,
      },
      { name: `${g}.latency.p50`, value: r.p50, unit: 'ms', note: `device write → NATS subscriber, ${r.samples} video frames` },
      { name: `${g}.latency.p99`, value: r.p99, unit: 'ms' },
      { name: `${g}.event-loop-delay.p99`, value: r.loopDelayP99, unit: 'ms', note: `the ingest's, over the window; max ${f1(r.loopDelayMax)} ms` },
      { name: `${g}.dropped`, value: Object.values(r.drops).reduce((a, b) => a + b, 0), unit: 'frames', note: dropped },
      { name: `${g}.nats-server.cpu`, value: r.natsCpu * 100, unit: '% of a core' },
      { name: `${g}.fleet.cpu`, value: r.fleetCpu * 100, unit: '% of a core', note: `${Math.ceil(n / DEVICES_PER_FLEET_PROCESS)} processes` },
      { name: `${g}.subscriber.cpu`, value: r.benchCpu * 100, unit: '% of a core' },
      { name: `${g}.machine.busy`, value: r.machineBusy * 100, unit: `% (of ${coreCount() * 100})` },
    );
  }
  return results;
}

export const ingestBenchGroups: readonly BenchGroup[] = [
  { name: 'ingest', description: 'N simulated devices (1 Mbit/s, 25 fps) against one ingest process on real NATS and Redis, beside a plain publish bound', run },
];
