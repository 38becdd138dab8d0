/**
 * The origin as `jt1078 packager` and `jt1078 start` compose it: the stream pool on the bus,
 * its metrics, and the HLS/fMP4/stream-list routes on `router` (signed URLs when
 * `cluster.hls.signing_secret` is set). The caller owns the router, the bus and the registry.
 */
import type { MediaBus } from '@jt1078/bus';
import type { Config } from '@jt1078/runtime/config';
import type { HttpRouter } from '@jt1078/runtime/http';
import type { Logger } from '@jt1078/runtime/logger';
import type { Registry } from '@jt1078/runtime/metrics';
import type { StreamRegistry } from '@jt1078/store';
import { addHlsRoutes } from './hls-routes.js';
import { LiveStreamPool } from './live-stream-pool.js';
import { createPackagerMetrics } from './packager-metrics.js';
import type { PackagerMembers } from './packager-members.js';
import { rendezvousOwners } from './rendezvous-owners.js';
import { StreamProxy } from './stream-proxy.js';

export interface PackagerDeps {
  readonly config: Config;
  readonly bus: MediaBus;
  readonly registry: StreamRegistry;
  readonly router: HttpRouter;
  readonly metricsRegistry: Registry;
  readonly log: Logger;
  /** Who announces viewers (the pod name). */
  readonly pod: string;
  /** The live replicas, started: streams are shared among them (cluster.packager.replicas_per_stream), the others proxied. */
  readonly members?: PackagerMembers;
}

export interface StartedPackager {
  readonly pool: LiveStreamPool;
  close(): void;
}

export function startPackager(deps: PackagerDeps): StartedPackager {
  const { config, members } = deps;
  const metrics = createPackagerMetrics(deps.metricsRegistry);
  const pool = new LiveStreamPool({ bus: deps.bus, log: deps.log, partMs: config.cluster.hls.part_ms, segmentMs: config.cluster.hls.segment_ms, announceAs: deps.pod, metrics });
  const proxy = members ? new StreamProxy(members.self.name) : undefined;
  if (members) metrics.bindMembers(() => members.members().length);
  const k = config.cluster.packager.replicas_per_stream;
  addHlsRoutes(deps.router, {
    pool, registry: deps.registry, metrics, prefixes: { realtime: config.jt1078.realtime.prefix, playback: config.jt1078.playback.prefix },
    ...(config.cluster.hls.signing_secret ? { signingSecret: config.cluster.hls.signing_secret } : {}),
    ...(members && proxy
      ? { sharing: { self: members.self.name, proxy, owners: (streamPath: string) => rendezvousOwners(streamPath, members.members(), k), unreachable: (name: string) => members.unreachable(name) } }
      : {}),
  });
  return {
    pool,
    close: () => {
      pool.close();
      proxy?.close();
    },
  };
}
