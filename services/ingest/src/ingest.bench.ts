/**
 * One ingest process (`jt1078 ingest`, a child, as a pod runs it) on real NATS and Redis, with N
 * simulated devices replaying the H.264 + G.711 capture at its own pace (25 fps, ~0.55 Mbit/s)
 * from this process. Reported: frames/s and MB/s reaching a NATS subscriber, the ingest's CPU
 * and memory (per connection), and device write → NATS subscriber latency p50/p99 (sampled on
 * key-frame-free audio frames, which are one packet each). Beside it, the bound: a plain NATS
 * publish of same-size messages from one client in the same run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { readCapture } from '@jt1078/jt1078';
import { G711_CAPTURE } from '@jt1078/jt1078/testdata';
import type { BenchContext, BenchGroup, BenchResult } from '@jt1078/runtime/bench';
import { CaptureReplay, SimulatedDevice, deviceSims, loadCapturePackets } from '@jt1078/svc-simulator';

const BIN = path.resolve(import.meta.dirname, '../../all-in-one/bin/jt1078.js');

function procStats(pid: number): { cpuSeconds: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = 100; // USER_HZ on Linux
  const cpuSeconds = (Number(stat[11]) + Number(stat[12])) / ticks;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds, rssBytes: Number(rss?.[1] ?? 0) * 1024 };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function plainPublishBound(url: string, subject: string, size: number, seconds: number): Promise<{ msgs: number; mbps: number }> {
  const nc = await connect({ servers: url });
  const payload = new Uint8Array(size).fill(7);
  let sent = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) nc.publish(subject, payload);
    sent += 1000;
    await nc.flush();
  }
  await nc.close();
  return { msgs: sent / seconds, mbps: (sent * size) / seconds / 1e6 };
}

async function runFleet(ctx: BenchContext, url: string, redis: string, devices: number, seconds: number): Promise<BenchResult[]> {
  const root = `bench${Date.now()}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'ingest-bench-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const config = path.join(dir, 'config.yaml');
  writeFileSync(config, `jt1078:\n  realtime: { addr: '127.0.0.1:${port}' }\n  playback: { addr: '127.0.0.1:${port + 1}' }\ncluster:\n  http: { addr: '127.0.0.1:0' }\n  nats: { subject_root: ${root} }\n  ingest: { max_connections: ${devices + 100} }\n`);
  const child = spawn(process.execPath, [BIN, 'ingest', '--config', config], { env: { ...process.env, NATS_URL: url, REDIS_URL: redis, LOG_LEVEL: 'warn' }, stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 2500));
  const nc = await connect({ servers: url });
  let frames = 0;
  let bytes = 0;
  const writes = new Map<string, number>();
  const latencies: number[] = [];
  nc.subscribe(`${root}.media.>`, {
    callback: (_e, m) => {
      frames++;
      bytes += m.data.length;
      const key = `${m.subject}/${m.headers?.get('Jt1078-Seq')}`;
      const t = writes.get(key);
      if (t !== undefined) {
        latencies.push(performance.now() - t);
        writes.delete(key);
      }
    },
  });
  const capture = loadCapturePackets(readCapture(G711_CAPTURE));
  // Frame index of each packet that completes a frame, to match writes with received frames.
  const fleet = deviceSims('013900100000', devices).map((sim, d) => {
    const replay = new CaptureReplay(capture, { sim, loop: true });
    let packet = 0;
    let frame = 0;
    const sampled = d % 10 === 0;
    const next = replay.next.bind(replay);
    replay.next = () => {
      const step = next();
      const p = capture.packets[packet++ % capture.packets.length]!;
      if (step && (p.subpackage === 0 || p.subpackage === 2)) {
        if (sampled && p.dataType === 3) writes.set(`${root}.media.live.${sim}.1/${frame}`, started + step.atMs);
        frame++;
      }
      return step;
    };
    return new SimulatedDevice({ host: '127.0.0.1', port, replay });
  });
  const started = performance.now();
  for (const d of fleet) void d.start();
  await new Promise((r) => setTimeout(r, 2000)); // connections settle
  const before = procStats(child.pid!);
  const f0 = frames;
  const b0 = bytes;
  latencies.length = 0;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const after = procStats(child.pid!);
  const fps = (frames - f0) / seconds;
  const mbps = (bytes - b0) / seconds / 1e6;
  const cpu = (after.cpuSeconds - before.cpuSeconds) / seconds;
  for (const d of fleet) d.stop();
  await nc.close();
  child.kill('SIGKILL');
  latencies.sort((a, b) => a - b);
  const expectedFps = devices * (316 / 4.3);
  ctx.log(`${devices} devices: ${fps.toFixed(0)} frames/s (of ~${expectedFps.toFixed(0)} sent), ${mbps.toFixed(1)} MB/s, ingest CPU ${(cpu * 100).toFixed(0)}%, RSS ${(after.rssBytes / 2 ** 20).toFixed(0)} MiB, latency p50 ${pct(latencies, 50).toFixed(1)} ms p99 ${pct(latencies, 99).toFixed(1)} ms`);
  return [
    { name: `ingest.${devices}.frames`, value: fps, unit: 'frames/s', note: `of ~${expectedFps.toFixed(0)} sent; devices and subscriber share the machine` },
    { name: `ingest.${devices}.throughput`, value: mbps, unit: 'MB/s' },
    { name: `ingest.${devices}.cpu`, value: cpu * 100, unit: '% of a core' },
    { name: `ingest.${devices}.rss-per-connection`, value: after.rssBytes / devices / 1024, unit: 'KiB', note: `process RSS ${(after.rssBytes / 2 ** 20).toFixed(0)} MiB / ${devices} connections (includes the runtime)` },
    { name: `ingest.${devices}.latency.p50`, value: pct(latencies, 50), unit: 'ms', note: `device write → NATS subscriber, ${latencies.length} audio frames sampled` },
    { name: `ingest.${devices}.latency.p99`, value: pct(latencies, 99), unit: 'ms' },
  ];
}

async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const url = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
  const redis = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const results: BenchResult[] = [];
  const bound = await plainPublishBound(url, `benchbound${Date.now()}`, 900, ctx.quick ? 2 : 5);
  ctx.log(`plain NATS publish of 900-byte messages: ${bound.msgs.toFixed(0)} msgs/s, ${bound.mbps.toFixed(1)} MB/s`);
  results.push({ name: 'ingest.bound.plain-publish', value: bound.msgs, unit: 'msgs/s', note: `${bound.mbps.toFixed(1)} MB/s of 900-byte messages from one client` });
  const sizes = process.env['JT1078_BENCH_DEVICES']?.split(',').map(Number) ?? (ctx.quick ? [50] : [200, 1000, 2000]);
  for (const n of sizes) {
    const r = await runFleet(ctx, url, redis, n, ctx.quick ? 3 : 10);
    const fps = r[0]!.value;
    results.push(...r, { name: `ingest.${n}.vs-bound`, value: fps / bound.msgs, unit: 'ratio', baseline: { name: 'plain publish', value: bound.msgs, unit: 'msgs/s' }, ratio: fps / bound.msgs, note: 'frames/s reaching a subscriber / plain publish msgs/s' });
  }
  return results;
}

export const ingestBenchGroups: readonly BenchGroup[] = [
  { name: 'ingest', description: 'N simulated devices against one ingest process on real NATS and Redis', run },
];
