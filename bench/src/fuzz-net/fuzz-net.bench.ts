/**
 * `jt1078 bench --only fuzz-net`: the process-level fuzz of test/fuzz-net.test.ts at 10^6 inputs
 * (900,000 mutated packets and streams, 100,000 mutated HTTP requests; --quick: 20,000 + 5,000).
 * A result is only written when every process stayed up and healthy, none answered 500 and the
 * healthy stream lost no frame; otherwise the group fails naming the seed that reproduces it.
 */
import type { BenchContext, BenchGroup, BenchResult } from '../harness/index.js';
import { runNetFuzz } from './run-net-fuzz.js';

async function runFuzzNet(ctx: BenchContext): Promise<BenchResult[]> {
  const packets = ctx.quick ? 20_000 : 900_000;
  const httpRequests = ctx.quick ? 5_000 : 100_000;
  const report = await runNetFuzz({
    packets, httpRequests,
    natsUrl: process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222',
    redisUrl: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    log: ctx.log,
    ...(process.env['JT1078_FUZZ_SEED'] ? { seed: Number(process.env['JT1078_FUZZ_SEED']) } : {}),
  });
  const down = report.processes.filter((p) => !p.alive || p.healthz !== 200);
  const errors = report.http.statuses['500'] ?? 0;
  if (down.length > 0 || errors > 0 || report.healthy.lostFrames > 0) {
    throw new Error(`fuzz-net failed (seed ${report.seed}): down ${JSON.stringify(down)}, 500s ${errors}, healthy frames lost ${report.healthy.lostFrames}`);
  }
  const inputs = report.packets + report.http.requests;
  const rss = report.processes.map((p) => `${p.service} ${(p.peakRssBytes / 2 ** 20).toFixed(0)} MiB`).join(', ');
  return [
    {
      name: 'fuzz-net.inputs', value: inputs / report.seconds, unit: 'inputs/s',
      note: `${inputs} inputs (${report.packets} packets in ${report.datagrams} datagrams, ${report.tcpStreams} ingest and ${report.audioStreams} audio-port streams; ${report.http.requests} HTTP requests, statuses ${JSON.stringify(report.http.statuses)}), ${report.seconds.toFixed(0)} s, seed ${report.seed}; every process up; peak RSS ${rss}; healthy stream ${report.healthy.receivedFrames}/${report.healthy.expectedFrames} frames over ${report.healthy.runs} runs`,
    },
    { name: 'fuzz-net.peak-rss', value: Math.max(...report.processes.map((p) => p.peakRssBytes)) / 2 ** 20, unit: 'MiB', note: rss },
  ];
}

export const fuzzNetBenchGroups: readonly BenchGroup[] = [
  { name: 'fuzz-net', description: '10^6 mutated packets, streams and HTTP requests against the real processes, a healthy device beside them', run: runFuzzNet },
];
