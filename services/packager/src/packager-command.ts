/** `jt1078 packager [--config FILE]`: the LL-HLS origin as a pod runs it, on NATS and Redis. */
import { connectPodBus } from '@jt1078/bus';
import { HttpRouter, addOpsRoutes, serveRouter } from '@jt1078/runtime/http';
import { startPod } from '@jt1078/runtime/pod';
import { RedisStreamRegistry } from '@jt1078/store';
import { startPackager } from './start-packager.js';

export async function packagerCommand(argv: string[]): Promise<number> {
  const pod = await startPod('packager', argv, { nats: true, redis: true });
  if (typeof pod === 'number') return pod;
  const { config, log, health, metrics, shutdown } = pod;
  const bus = await connectPodBus(pod);
  const registry = new RedisStreamRegistry(config.cluster.redis.url, config.cluster.nats.subject_root);
  const router = addOpsRoutes(new HttpRouter(), health, metrics);
  const packager = startPackager({ config, bus, registry, router, metricsRegistry: metrics, log, pod: pod.name });
  const http = await serveRouter(router, config.cluster.http.addr);
  log.info({ pod: pod.name }, 'packager ready');
  shutdown.add('readiness off', () => health.startDraining());
  // Streaming viewers hold their responses open: end them, or closing HTTP waits for them.
  shutdown.add('end streaming viewers', () => packager.flv.close());
  shutdown.add('close HTTP', () => new Promise<void>((r) => http.close(() => r())));
  shutdown.add('release streams', () => packager.close());
  shutdown.add('drain NATS', () => bus.close());
  shutdown.add('close registry', () => registry.close());
  shutdown.installSignalHandlers();
  await new Promise(() => {});
  return 0;
}
