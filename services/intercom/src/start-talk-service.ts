/**
 * The whole intercom as `jt1078 intercom` and `jt1078 start` compose it: the public address
 * (`jt1078webrtc.ip`, else the Kubernetes node's, else this machine's), the device side
 * (startIntercom: audio ports, lease API) and the WebRTC routes on the same router, with its
 * shutdown steps. intercomOptions is the one reading of the config keys the composition needs;
 * the device side and the WebRTC bridge read the rest of `config` themselves.
 */
import type { MediaBus } from '@jt1078/bus';
import { audioOptionsFor, type Config } from '@jt1078/runtime/config';
import type { HttpRouter } from '@jt1078/runtime/http';
import type { RunningService } from '@jt1078/runtime/lifecycle';
import type { Logger } from '@jt1078/runtime/logger';
import type { Registry } from '@jt1078/runtime/metrics';
import { discoverPublicAddress, type ProcessMode } from '@jt1078/runtime/pod';
import type { PortLeaseStore } from '@jt1078/store';
import { DEFAULT_PUBLIC_ADDRESS, startIntercom, type RunningIntercom } from './start-intercom.js';
import type { WebRtcIntercom } from './webrtc-intercom.js';
import { addWebRtcRoutes } from './webrtc-routes.js';

export interface IntercomOptions {
  readonly config: Config;
  /** On SIGTERM, talks in progress get this long before they are closed (cluster.intercom.drain_grace_second). */
  readonly drainGraceMs: number;
}

/**
 * A process alone closes at once on SIGTERM: its devices have no other pod to move to during a
 * grace, and Ctrl-C on `jt1078 start` must not wait for them.
 */
export function intercomOptions(config: Config, mode: ProcessMode): IntercomOptions {
  return { config, drainGraceMs: mode === 'cluster' ? config.cluster.intercom.drain_grace_second * 1000 : 0 };
}

export interface TalkServiceDeps extends IntercomOptions {
  readonly bus: MediaBus;
  readonly leases: PortLeaseStore;
  readonly router: HttpRouter;
  readonly metricsRegistry: Registry;
  readonly log: Logger;
  readonly pod: string;
}

export interface RunningTalkService extends RunningService {
  readonly intercom: RunningIntercom;
  readonly publicAddress: string;
  webrtc(): WebRtcIntercom | undefined;
}

/** Margin over the grace for the leaves of the closed talks to reach JetStream. */
const DRAIN_MARGIN_MS = 10_000;

export async function startTalkService(deps: TalkServiceDeps): Promise<RunningTalkService> {
  const { config, log } = deps;
  const own = config.jt1078.intercom;
  const webrtcKeys = config.cluster.intercom;
  const publicIp = await discoverPublicAddress({ configuredIp: own.jt1078webrtc.ip, log });
  let webrtc: WebRtcIntercom | undefined;
  const intercom = await startIntercom({
    config, bus: deps.bus, leases: deps.leases, router: deps.router, log, pod: deps.pod, metricsRegistry: deps.metricsRegistry,
    publicAddress: publicIp ?? DEFAULT_PUBLIC_ADDRESS,
    extraRoutes: (r) => {
      webrtc = addWebRtcRoutes(r, {
        config: { ...own, jt1078webrtc: { ...own.jt1078webrtc, ip: publicIp ?? '' } }, bus: deps.bus, registry: deps.metricsRegistry, log,
        maxSessions: webrtcKeys.webrtc_max_sessions,
        audioOptions: (sim) => audioOptionsFor(config.jt1078.audio, sim),
        ...(webrtcKeys.webrtc_udp_ports.length === 2 ? { udpPorts: webrtcKeys.webrtc_udp_ports as [number, number] } : {}),
      });
    },
  });
  return {
    intercom,
    publicAddress: publicIp ?? DEFAULT_PUBLIC_ADDRESS,
    webrtc: () => webrtc,
    steps: [
      { name: 'drain talks', run: () => intercom.drain(deps.drainGraceMs), timeoutMs: deps.drainGraceMs + DRAIN_MARGIN_MS },
      { name: 'close WebRTC sessions', run: () => webrtc?.close() },
    ],
  };
}
