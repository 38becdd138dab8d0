/** `jt1078 intercom [--config FILE]`: the intercom as a pod runs it, on NATS and Redis. */
import { connectPodBus } from '@jt1078/bus';
import { HttpRouter, addOpsRoutes, serveRouter } from '@jt1078/runtime/http';
import { startPod } from '@jt1078/runtime/pod';
import { RedisPortLeaseStore } from '@jt1078/store';
import { startTalkService } from './start-talk-service.js';

export async function intercomCommand(argv: string[]): Promise<number> {
  const pod = await startPod('intercom', argv, { nats: true, redis: true });
  if (typeof pod === 'number') return pod;
  const { config, log, health, metrics, shutdown } = pod;
  const bus = await connectPodBus(pod);
  const leases = new RedisPortLeaseStore(config.cluster.redis.url, config.cluster.nats.subject_root);
  const router = addOpsRoutes(new HttpRouter(), health, metrics);
  let talk;
  try {
    talk = await startTalkService({ config, bus, leases, router, metricsRegistry: metrics, log, pod: pod.name });
  } catch (err) {
    // A taken audio port (AudioPortInUse names it) or a bad port mapping: nothing to serve.
    // The CLI says why in one line; the process exits.
    await bus.close();
    await leases.close();
    throw err;
  }
  const { intercom, webrtc } = talk;
  const http = await serveRouter(router, config.cluster.http.addr);
  log.info({ pod: pod.name, http: config.cluster.http.addr, audioPorts: config.jt1078.intercom.audio_ports, listening: intercom.ports().length, publicIp: talk.publicAddress }, 'intercom ready');
  const graceMs = config.cluster.intercom.drain_grace_second * 1000;
  shutdown.add('readiness off', () => health.startDraining());
  shutdown.add('drain talks', () => intercom.drain(graceMs), graceMs + 10_000);
  shutdown.add('close WebRTC sessions', () => webrtc()?.close());
  shutdown.add('close HTTP', () => new Promise<void>((r) => http.close(() => r())));
  shutdown.add('drain NATS', () => bus.close());
  shutdown.add('close leases', () => leases.close());
  shutdown.installSignalHandlers();
  await new Promise(() => {});
  return 0;
}
