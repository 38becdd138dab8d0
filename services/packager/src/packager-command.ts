/** `jt1078 packager [--config FILE]`: the LL-HLS origin as a pod runs it, on NATS and Redis. */
import { connectPodBus } from '@jt1078/bus';
import { HttpRouter, addOpsRoutes, serveRouter } from '@jt1078/runtime/http';
import { startPod } from '@jt1078/runtime/pod';
import { RedisStreamRegistry } from '@jt1078/store';
import { addHlsRoutes } from './hls-routes.js';
import { LiveStreamPool } from './live-stream-pool.js';
import { createPackagerMetrics } from './packager-metrics.js';

export async function packagerCommand(argv: string[]): Promise<number> {
  const pod = startPod('packager', argv, { nats: true, redis: true });
  if (typeof pod === 'number') return pod;
  const { config, log, health, metrics, shutdown } = pod;
  const bus = await connectPodBus(pod);
  const registry = new RedisStreamRegistry(config.cluster.redis.url, config.cluster.nats.subject_root);
  const packagerMetrics = createPackagerMetrics(metrics);
  const pool = new LiveStreamPool({ bus, log, partMs: config.cluster.hls.part_ms, segmentMs: config.cluster.hls.segment_ms, announceAs: pod.name, metrics: packagerMetrics });
  const router = addOpsRoutes(new HttpRouter(), health, metrics);
  addHlsRoutes(router, {
    pool, registry, metrics: packagerMetrics, prefixes: { realtime: config.jt1078.realtime.prefix, playback: config.jt1078.playback.prefix },
    ...(config.cluster.hls.signing_secret ? { signingSecret: config.cluster.hls.signing_secret } : {}),
  });
  const http = await serveRouter(router, config.cluster.http.addr);
  log.info({ pod: pod.name }, 'packager ready');
  shutdown.add('readiness off', () => health.startDraining());
  shutdown.add('close HTTP', () => new Promise<void>((r) => http.close(() => r())));
  shutdown.add('release streams', () => pool.close());
  shutdown.add('drain NATS', () => bus.close());
  shutdown.add('close registry', () => registry.close());
  shutdown.installSignalHandlers();
  await new Promise(() => {});
  return 0;
}
