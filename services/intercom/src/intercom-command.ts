/** `jt1078 intercom [--config FILE]`: the intercom as a pod runs it, on NATS and Redis. */
import { connectPodBus } from '@jt1078/bus';
import { HttpRouter, addOpsRoutes, serveRouter } from '@jt1078/runtime/http';
import { discoverPublicAddress, startPod } from '@jt1078/runtime/pod';
import { RedisPortLeaseStore } from '@jt1078/store';
import { DEFAULT_PUBLIC_ADDRESS, startIntercom } from './start-intercom.js';
import type { WebRtcIntercom } from './webrtc-intercom.js';
import { addWebRtcRoutes } from './webrtc-routes.js';

export async function intercomCommand(argv: string[]): Promise<number> {
  const pod = startPod('intercom', argv, { nats: true, redis: true });
  if (typeof pod === 'number') return pod;
  const { config, log, health, metrics, shutdown } = pod;
  const intercomConfig = config.jt1078.intercom;
  // jt1078webrtc.ip, else the Kubernetes node's address, else loopback (one machine).
  const publicIp = await discoverPublicAddress({ configuredIp: intercomConfig.jt1078webrtc.ip, log });
  const bus = await connectPodBus(pod);
  const leases = new RedisPortLeaseStore(config.cluster.redis.url, config.cluster.nats.subject_root);
  const router = addOpsRoutes(new HttpRouter(), health, metrics);
  let webrtc: WebRtcIntercom | undefined;
  let intercom;
  try {
    intercom = await startIntercom({
      config, bus, leases, log, metricsRegistry: metrics, router, pod: pod.name,
      publicAddress: publicIp ?? DEFAULT_PUBLIC_ADDRESS,
      extraRoutes: (r) => {
        webrtc = addWebRtcRoutes(r, { config: { ...intercomConfig, jt1078webrtc: { ...intercomConfig.jt1078webrtc, ip: publicIp ?? '' } }, bus, registry: metrics, log });
      },
    });
  } catch (err) {
    // A taken audio port (AudioPortInUse names it) or a bad port mapping: nothing to serve.
    log.error({ err }, 'intercom cannot start');
    await bus.close();
    await leases.close();
    throw err;
  }
  const http = await serveRouter(router, config.cluster.http.addr);
  log.info({ pod: pod.name, http: config.cluster.http.addr, audioPorts: intercomConfig.audio_ports, listening: intercom.ports().length, publicIp: publicIp ?? DEFAULT_PUBLIC_ADDRESS }, 'intercom ready');
  const graceMs = config.cluster.intercom.drain_grace_second * 1000;
  shutdown.add('readiness off', () => health.startDraining());
  shutdown.add('drain talks', () => intercom.drain(graceMs), graceMs + 10_000);
  shutdown.add('close WebRTC sessions', () => webrtc?.close());
  shutdown.add('close HTTP', () => new Promise<void>((r) => http.close(() => r())));
  shutdown.add('drain NATS', () => bus.close());
  shutdown.add('close leases', () => leases.close());
  shutdown.installSignalHandlers();
  await new Promise(() => {});
  return 0;
}
