/** `jt1078 ingest [--config FILE]`: the ingest as a pod runs it, on NATS and Redis. */
import { connectPodBus } from '@jt1078/bus';
import { HttpRouter, addOpsRoutes, serveRouter } from '@jt1078/runtime/http';
import { startPod } from '@jt1078/runtime/pod';
import { RedisStreamRegistry } from '@jt1078/store';
import { IngestService } from './ingest-service.js';

export async function ingestCommand(argv: string[]): Promise<number> {
  const pod = await startPod('ingest', argv, { nats: true, redis: true });
  if (typeof pod === 'number') return pod;
  const { config, log, health, metrics, shutdown } = pod;
  const bus = await connectPodBus(pod);
  const registry = new RedisStreamRegistry(config.cluster.redis.url, config.cluster.nats.subject_root);
  const service = new IngestService({ config, bus, registry, metricsRegistry: metrics, log, pod: pod.name });
  try {
    await service.start();
  } catch (err) {
    // A pod that cannot listen (port taken) must exit, not linger with NATS and Redis open.
    await service.close().catch(() => undefined);
    await Promise.allSettled([bus.close(), registry.close()]);
    throw err;
  }
  const http = await serveRouter(addOpsRoutes(new HttpRouter(), health, metrics), config.cluster.http.addr);
  log.info({ pod: pod.name, http: config.cluster.http.addr }, 'ingest ready');
  shutdown.add('readiness off', () => health.startDraining());
  shutdown.add('drain device connections', () => service.drain(config.cluster.ingest.drain_grace_second * 1000), (config.cluster.ingest.drain_grace_second + 10) * 1000);
  shutdown.add('drain NATS', () => bus.close());
  shutdown.add('close registry', () => registry.close());
  shutdown.add('close HTTP', () => new Promise<void>((r) => http.close(() => r())));
  shutdown.installSignalHandlers();
  await new Promise(() => {});
  return 0;
}
