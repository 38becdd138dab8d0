/**
 * The process-level fuzz in CI: ≥ 20,000 mutated packets and streams (UDP and TCP to the ingest,
 * TCP to a leased intercom audio port) and ≥ 5,000 mutated HTTP requests (packager, intercom,
 * ingest and webhook routes) against the real processes, with a healthy device streaming beside
 * them. Every process stays up and healthy, none answers 500, each stays under RSS_BOUND, and
 * the healthy stream loses no frame. `jt1078 bench --only fuzz-net` runs the same for 10^6 inputs.
 */
import { describe, expect, it } from 'vitest';
import { runNetFuzz } from '@jt1078/bench/fuzz-net';
import { sharedTestdataAvailable } from '../libs/jt1078/src/testdata/generate-captures.js';
import { natsUrl, redisUrl } from './support/services.js';

/** Per process: a pod's usual 100-150 MB, the ingest's 64 MiB unfinished-frame cap here, and headroom. */
const RSS_BOUND_BYTES = 512 * 1024 * 1024;

describe.runIf(sharedTestdataAvailable())('hostile network input against the real processes', () => {
  it('keeps every process up and under its RSS bound, answers no 500, and the healthy stream loses no frame', async () => {
    const report = await runNetFuzz({ packets: 20_000, httpRequests: 5_000, natsUrl: await natsUrl(), redisUrl: await redisUrl() });
    console.log(JSON.stringify({ ...report, processes: report.processes.map((p) => ({ ...p, peakRssMiB: Math.round(p.peakRssBytes / 2 ** 20) })) }));
    expect(report.packets).toBeGreaterThanOrEqual(20_000);
    expect(report.http.requests).toBeGreaterThanOrEqual(5_000);
    expect(report.processes.map((p) => p.service).sort()).toEqual(['ingest', 'intercom', 'packager', 'webhook']);
    for (const p of report.processes) {
      expect(p, `${p.service} (seed ${report.seed})`).toMatchObject({ alive: true, healthz: 200 });
      expect(p.peakRssBytes, `${p.service} RSS`).toBeLessThan(RSS_BOUND_BYTES);
    }
    expect(report.http.statuses['500'] ?? 0, `500s (seed ${report.seed}): ${JSON.stringify(report.http.statuses)}`).toBe(0);
    expect(report.healthy.runs).toBeGreaterThanOrEqual(1);
    expect(report.healthy.lostFrames, `healthy stream (seed ${report.seed})`).toBe(0);
  }, 150_000);
});
