/**
 * Every benchmark group `jt1078 bench` knows, in the order it runs them. A new group lives in
 * the folder of what it measures (`<area>/<name>.bench.ts`, exporting `<name>BenchGroups`,
 * helpers and child-process scripts beside it) and is added here.
 */
import type { BenchGroup } from './harness/index.js';

/** Loaded lazily so one group's dependencies never slow another's start. */
export const BENCH_GROUP_LOADERS: ReadonlyArray<() => Promise<readonly BenchGroup[]>> = [
  async () => (await import('./demux/demux.bench.js')).demuxBenchGroups,
  async () => (await import('./package/package.bench.js')).packageBenchGroups,
  async () => (await import('./packager/packager.bench.js')).packagerBenchGroups,
  async () => (await import('./packager/packager-sharing.bench.js')).packagerSharingBenchGroups,
  async () => (await import('./packager/viewers.bench.js')).viewersBenchGroups,
  async () => (await import('./webhook/webhook.bench.js')).webhookBenchGroups,
  async () => (await import('./ingest/ingest.bench.js')).ingestBenchGroups,
  async () => (await import('./intercom/intercom.bench.js')).intercomBenchGroups,
  async () => (await import('./fuzz-net/fuzz-net.bench.js')).fuzzNetBenchGroups,
];
