/** `jt1078 packager [--config FILE]`: the LL-HLS origin as a pod runs it, on NATS and Redis. */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { NatsMediaBus } from '@jt1078/bus';
import { loadConfig } from '@jt1078/runtime/config';
import { HttpRouter, addOpsRoutes, serveRouter } from '@jt1078/runtime/http';
import { HealthState, ShutdownSequence } from '@jt1078/runtime/lifecycle';
import { createLogger } from '@jt1078/runtime/logger';
import { createMetricsRegistry } from '@jt1078/runtime/metrics';
import { RedisStreamRegistry } from '@jt1078/store';
import { addHlsRoutes } from './hls-routes.js';
import { LiveStreamPool } from './live-stream-pool.js';

export async function packagerCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' } } });
  const { config, notes } = loadConfig(values.config);
  const log = createLogger({ name: 'packager' });
  for (const n of notes) log.info(n);
  if (!config.cluster.nats.url || !config.cluster.redis.url) {
    process.stderr.write('jt1078 packager: set cluster.nats.url and cluster.redis.url (or NATS_URL / REDIS_URL); `jt1078 start` runs without them.\n');
    return 2;
  }
  const pod = config.cluster.pod.name || hostname();
  const health = new HealthState();
  const metrics = createMetricsRegistry({ labels: { service: 'packager', pod } });
  const bus = await NatsMediaBus.connect({
    url: config.cluster.nats.url,
    root: config.cluster.nats.subject_root,
    name: pod,
    onStatus: (s) => (s === 'disconnected' ? health.block('nats', 'disconnected') : health.unblock('nats')),
  });
  const registry = new RedisStreamRegistry(config.cluster.redis.url, config.cluster.nats.subject_root);
  const pool = new LiveStreamPool({ bus, log, partMs: config.cluster.hls.part_ms, segmentMs: config.cluster.hls.segment_ms });
  const router = addOpsRoutes(new HttpRouter(), health, metrics);
  addHlsRoutes(router, { pool, registry, prefixes: { realtime: config.jt1078.realtime.prefix, playback: config.jt1078.playback.prefix } });
  const http = await serveRouter(router, config.cluster.http.addr);
  log.info({ pod }, 'packager ready');
  const shutdown = new ShutdownSequence(log);
  shutdown.add('readiness off', () => health.startDraining());
  shutdown.add('close HTTP', () => new Promise<void>((r) => http.close(() => r())));
  shutdown.add('release streams', () => pool.close());
  shutdown.add('drain NATS', () => bus.close());
  shutdown.add('close registry', () => registry.close());
  shutdown.installSignalHandlers();
  await new Promise(() => {});
  return 0;
}
