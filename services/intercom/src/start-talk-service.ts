/**
 * The whole intercom as `jt1078 intercom` and `jt1078 start` compose it: the public address
 * (`jt1078webrtc.ip`, else the Kubernetes node's, else this machine's), the device side
 * (startIntercom: audio ports, lease API) and the WebRTC routes on the same router.
 */
import type { MediaBus } from '@jt1078/bus';
import { audioOptionsFor, type Config } from '@jt1078/runtime/config';
import type { HttpRouter } from '@jt1078/runtime/http';
import type { Logger } from '@jt1078/runtime/logger';
import type { Registry } from '@jt1078/runtime/metrics';
import { discoverPublicAddress } from '@jt1078/runtime/pod';
import type { PortLeaseStore } from '@jt1078/store';
import { DEFAULT_PUBLIC_ADDRESS, startIntercom } from './start-intercom.js';
import type { WebRtcIntercom } from './webrtc-intercom.js';
import { addWebRtcRoutes } from './webrtc-routes.js';

export interface TalkServiceDeps {
  readonly config: Config;
  readonly bus: MediaBus;
  readonly leases: PortLeaseStore;
  readonly router: HttpRouter;
  readonly metricsRegistry: Registry;
  readonly log: Logger;
  readonly pod: string;
}

export async function startTalkService(deps: TalkServiceDeps) {
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
  return { intercom, publicAddress: publicIp ?? DEFAULT_PUBLIC_ADDRESS, webrtc: () => webrtc };
}
