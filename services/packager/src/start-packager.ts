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
import { addFlvRoutes } from './flv-routes.js';
import { FlvStreamPool } from './flv-stream-pool.js';
import { addHlsRoutes } from './hls-routes.js';
import { createLiveStreamLookup } from './live-stream-lookup.js';
import { LiveStreamPool } from './live-stream-pool.js';
import { createPackagerMetrics } from './packager-metrics.js';
import type { PackagerMembers } from './packager-members.js';
import { rendezvousOwners } from './rendezvous-owners.js';
import { StreamProxy } from './stream-proxy.js';
import { createViewerMetrics } from './viewer-metrics.js';
import { WhepEgress } from './whep-egress.js';
import { addWhepRoutes } from './whep-routes.js';

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

/** What the composition started, for shutdown. */
export interface StartedPackager {
  readonly pool: LiveStreamPool;
  readonly flv: FlvStreamPool;
  readonly whep: WhepEgress;
  close(): void;
}

export function startPackager(deps: PackagerDeps): StartedPackager {
  const { config, members } = deps;
  const metrics = createPackagerMetrics(deps.metricsRegistry);
  const prefixes = { realtime: config.jt1078.realtime.prefix, playback: config.jt1078.playback.prefix };
  const signing = config.cluster.hls.signing_secret ? { signingSecret: config.cluster.hls.signing_secret } : {};
  const pool = new LiveStreamPool({ bus: deps.bus, log: deps.log, partMs: config.cluster.hls.part_ms, segmentMs: config.cluster.hls.segment_ms, announceAs: deps.pod, metrics,
    audioOptions: (sim) => audioOptionsFor(config.jt1078.audio, sim),
  });
  const proxy = members ? new StreamProxy(members.self.name) : undefined;
  if (members) metrics.bindMembers(() => members.members().length);
  const k = config.cluster.packager.replicas_per_stream;
  const sharing = members && proxy
    ? { self: members.self.name, proxy, owners: (streamPath: string) => rendezvousOwners(streamPath, members.members(), k), unreachable: (name: string) => members.unreachable(name) }
    : undefined;
  addHlsRoutes(deps.router, { pool, registry: deps.registry, metrics, prefixes, ...signing, ...(sharing ? { sharing } : {}) });
  // FLV needs no owner: any replica muxes a stream from the bus (the ingest replays the window),
  // so a player may reach any of them. WHEP follows HLS's owners (whep-routes.ts).
  const viewers = config.cluster.viewers;
  const viewerMetrics = createViewerMetrics(deps.metricsRegistry);
  const flv = new FlvStreamPool({ bus: deps.bus, log: deps.log, metrics: viewerMetrics, maxQueueBytes: viewers.max_queue_kb * 1024, hevcForm: viewers.flv_hevc });
  const lookup = createLiveStreamLookup({ registry: deps.registry, prefixes, ...signing, onRefused: (reason) => metrics.refused.inc({ reason }), headers: { 'Access-Control-Allow-Origin': '*' } });
  const flvRoutes = addFlvRoutes(deps.router, { pool: flv, lookup });
  const whep = new WhepEgress({
    bus: deps.bus, log: deps.log, metrics: viewerMetrics, maxSessions: viewers.whep_max_sessions,
    audioOptions: (sim) => audioOptionsFor(config.jt1078.audio, sim),
    peer: { udpPorts: viewers.whep_udp_ports, advertisedIp: viewers.whep_ip, extraHostAddresses: ['127.0.0.1'], connectTimeoutMs: 15_000, disconnectGraceMs: 10_000, gatherTimeoutMs: 3_000 },
  });
  addWhepRoutes(deps.router, { egress: whep, lookup, ...(sharing ? { sharing } : {}), onProxied: (outcome) => metrics.proxied.inc({ route: 'whep', outcome }) });
  return {
    pool,
    flv,
    whep,
    close: () => {
      whep.close();
      flv.close();
      flvRoutes.close();
      pool.close();
      proxy?.close();
    },
  };
}
