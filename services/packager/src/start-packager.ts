/**
 * The origin as `jt1078 packager` and `jt1078 start` compose it: the stream pool on the bus,
 * its metrics, and the HLS/fMP4/stream-list routes on `router` (signed URLs when
 * `cluster.hls.signing_secret` is set), with its shutdown steps. The caller owns the router, the
 * bus and the registry; packagerOptions is the one reading of the config keys the composition
 * needs (the pool and the routes read the rest of `config` themselves).
 */
import type { MediaBus } from '@jt1078/bus';
import { audioOptionsFor, type Config } from '@jt1078/runtime/config';
import type { HttpRouter } from '@jt1078/runtime/http';
import type { RunningService } from '@jt1078/runtime/lifecycle';
import type { Logger } from '@jt1078/runtime/logger';
import type { Registry } from '@jt1078/runtime/metrics';
import type { PodStoreSettings, StreamRegistry } from '@jt1078/store';
import { advertisedUrl } from './advertised-url.js';
import { addFlvRoutes } from './flv-routes.js';
import { FlvStreamPool } from './flv-stream-pool.js';
import { addHlsRoutes } from './hls-routes.js';
import { createLiveStreamLookup } from './live-stream-lookup.js';
import { LiveStreamPool } from './live-stream-pool.js';
import { createPackagerMetrics } from './packager-metrics.js';
import { PackagerMembers } from './packager-members.js';
import { rendezvousOwners } from './rendezvous-owners.js';
import { StreamProxy } from './stream-proxy.js';
import { createViewerMetrics } from './viewer-metrics.js';
import { WhepEgress } from './whep-egress.js';
import { addWhepRoutes } from './whep-routes.js';

/** How this replica joins the others (cluster.packager.member_ttl_second), from the stores of its cluster. */
export interface PackagerMembership {
  readonly redisUrl: string;
  readonly root: string;
  readonly ttlMs: number;
  /** How the other replicas reach this one: its name and its HTTP origin (cluster.http.addr, POD_IP). */
  readonly self: { readonly name: string; readonly url: string };
}

export interface PackagerOptions {
  readonly config: Config;
  /** Absent on the in-process bus: one packager serves every stream. */
  readonly membership?: PackagerMembership;
}

/** `stores` when the process is in a cluster: streams are then shared among the live replicas. */
export function packagerOptions(config: Config, pod: string, stores?: PodStoreSettings): PackagerOptions {
  if (!stores) return { config };
  const membership = { ...stores, ttlMs: config.cluster.packager.member_ttl_second * 1000, self: { name: pod, url: advertisedUrl(config.cluster.http.addr) } };
  return { config, membership };
}

export interface PackagerDeps extends PackagerOptions {
  readonly bus: MediaBus;
  readonly registry: StreamRegistry;
  readonly router: HttpRouter;
  readonly metricsRegistry: Registry;
  readonly log: Logger;
  /** Who announces viewers (the pod name). */
  readonly pod: string;
}

/** What the composition started, and its shutdown steps. */
export interface StartedPackager extends RunningService {
  readonly pool: LiveStreamPool;
  readonly flv: FlvStreamPool;
  readonly whep: WhepEgress;
  /** This replica among the others, when it shares streams with them. */
  readonly members: PackagerMembers | undefined;
  close(): void;
}

export function startPackager(deps: PackagerDeps): StartedPackager {
  const { config, membership } = deps;
  // The live replicas: streams are shared among them (cluster.packager.replicas_per_stream), the others proxied.
  const members = membership ? new PackagerMembers({ ...membership, log: deps.log }) : undefined;
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
  const close = () => {
    whep.close();
    flv.close();
    flvRoutes.close();
    pool.close();
    proxy?.close();
  };
  return {
    pool,
    flv,
    whep,
    members,
    close,
    // Streaming viewers hold their responses open: end them, or closing HTTP waits for them.
    steps: [{
      name: 'end streaming viewers',
      run: () => {
        whep.close();
        flv.close();
      },
    }],
    release: [
      ...(members ? [{ name: 'leave the packager members', run: () => members.stop() }] : []),
      { name: 'release streams', run: close },
    ],
    // Members only once this replica answers: the others start proxying to it at once.
    serving: async () => members?.start(),
  };
}
