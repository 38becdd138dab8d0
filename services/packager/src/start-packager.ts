/**
 * The origin as `jt1078 packager` and `jt1078 start` compose it: the stream pool on the bus,
 * its metrics, and the HLS/fMP4/stream-list routes on `router` (signed URLs when
 * `cluster.hls.signing_secret` is set). The caller owns the router, the bus and the registry.
 */
import type { MediaBus } from '@jt1078/bus';
import { audioOptionsFor, type Config } from '@jt1078/runtime/config';
import type { HttpRouter } from '@jt1078/runtime/http';
import type { Logger } from '@jt1078/runtime/logger';
import type { Registry } from '@jt1078/runtime/metrics';
import type { StreamRegistry } from '@jt1078/store';
import { addHlsRoutes } from './hls-routes.js';
import { LiveStreamPool } from './live-stream-pool.js';
import { createPackagerMetrics } from './packager-metrics.js';

export interface PackagerDeps {
  readonly config: Config;
  readonly bus: MediaBus;
  readonly registry: StreamRegistry;
  readonly router: HttpRouter;
  readonly metricsRegistry: Registry;
  readonly log: Logger;
  /** Who announces viewers (the pod name). */
  readonly pod: string;
}

export function startPackager(deps: PackagerDeps): LiveStreamPool {
  const { config } = deps;
  const metrics = createPackagerMetrics(deps.metricsRegistry);
  const pool = new LiveStreamPool({ bus: deps.bus, log: deps.log, partMs: config.cluster.hls.part_ms, segmentMs: config.cluster.hls.segment_ms, announceAs: deps.pod, metrics,
    audioOptions: (sim) => audioOptionsFor(config.jt1078.audio, sim),
  });
  addHlsRoutes(deps.router, {
    pool, registry: deps.registry, metrics, prefixes: { realtime: config.jt1078.realtime.prefix, playback: config.jt1078.playback.prefix },
    ...(config.cluster.hls.signing_secret ? { signingSecret: config.cluster.hls.signing_secret } : {}),
  });
  return pool;
}
