/**
 * The intercom's device side, composed: the audio port listeners and the lease API on the
 * caller's router. The same in `jt1078 intercom` (NatsMediaBus + RedisPortLeaseStore) and in
 * the embedded `jt1078 start` (MemoryMediaBus + MemoryPortLeaseStore). The WebRTC bridge meets
 * it only through the bus (talk.down, media.talk); its routes go on the same router, through
 * `extraRoutes` or by the caller.
 */
import { audioOptionsFor, type Config } from '@jt1078/runtime/config';
import type { HttpRouter } from '@jt1078/runtime/http';
import type { Logger } from '@jt1078/runtime/logger';
import type { Registry } from '@jt1078/runtime/metrics';
import type { PortLeaseStore } from '@jt1078/store';
import { AudioPortMap } from './audio-port-map.js';
import { AudioPortServer } from './audio-port-server.js';
import { createIntercomMetrics, type IntercomMetrics } from './intercom-metrics.js';
import { Jt808Gateway } from './jt808-gateway.js';
import { addLeaseRoutes } from './lease-routes.js';
import type { IntercomBus } from './talk-connection.js';

/** The address devices are sent to, when neither config nor the caller says. */
export const DEFAULT_PUBLIC_ADDRESS = '127.0.0.1';

export interface StartIntercomOptions {
  readonly config: Config;
  readonly bus: IntercomBus;
  readonly leases: PortLeaseStore;
  readonly log: Logger;
  readonly metricsRegistry: Registry;
  /** The lease routes are added to it; the caller serves it. */
  readonly router: HttpRouter;
  /** This pod's name: the holder of the leases it grants. */
  readonly pod: string;
  /**
   * The address devices reach (0x9101 server IP, `address` of the lease), unless
   * `jt1078.intercom.jt1078webrtc.ip` is set: a string, or a function asked on every lease
   * (e.g. the Kubernetes node's external IP, cached by its resolver). Default 127.0.0.1.
   */
  readonly publicAddress?: string | (() => Promise<string>);
  /** More routes for the same router (the WebRTC bridge), registered after the lease routes. */
  readonly extraRoutes?: (router: HttpRouter) => void;
  /** Listen address of the audio ports (default 0.0.0.0). */
  readonly host?: string;
}

export interface RunningIntercom {
  /** The ports listened on, in order of the leased ports they serve (empty when disabled). */
  ports(): number[];
  readonly server: AudioPortServer | undefined;
  readonly metrics: IntercomMetrics;
  /** SIGTERM: stop accepting, give talks `graceMs`, then close them with their leave events. */
  drain(graceMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startIntercom(opts: StartIntercomOptions): Promise<RunningIntercom> {
  const { config, log } = opts;
  const intercom = config.jt1078.intercom;
  const own = config.cluster.intercom;
  const metrics = createIntercomMetrics(opts.metricsRegistry);
  if (!intercom.enable) {
    log.info('intercom disabled (jt1078.intercom.enable: false): no audio ports, no lease API');
    return { ports: () => [], server: undefined, metrics, drain: async () => {}, stop: async () => {} };
  }
  const map = new AudioPortMap(intercom.audio_ports, own.listen_ports);
  const server = new AudioPortServer({
    ports: map,
    ...(opts.host ? { host: opts.host } : {}),
    bus: opts.bus,
    leases: opts.leases,
    leaseTtlMs: own.lease_ttl_second * 1000,
    overtimeMs: intercom.overtime_second * 1000,
    metrics,
    log,
    audioOptions: (sim) => audioOptionsFor(config.jt1078.audio, sim),
  });
  await server.listen();
  const configured = intercom.jt1078webrtc.ip;
  const given = opts.publicAddress ?? DEFAULT_PUBLIC_ADDRESS;
  const publicAddress = configured ? async () => configured : typeof given === 'string' ? async () => given : given;
  addLeaseRoutes(opts.router, {
    leases: opts.leases,
    ports: intercom.audio_ports,
    connectTtlMs: own.connect_ttl_second * 1000,
    holder: opts.pod,
    publicAddress,
    token: intercom.token,
    jt808: intercom.jt808_url ? new Jt808Gateway(intercom.jt808_url) : undefined,
    endTalk: (port, err) => server.endTalk(port, err),
    metrics,
    log,
  });
  opts.extraRoutes?.(opts.router);
  return {
    ports: () => server.listening(),
    server,
    metrics,
    drain: (graceMs) => server.drain(graceMs),
    stop: () => server.close(),
  };
}
