/** `jt1078 ingest [--config FILE]`: the ingest as a pod runs it, on NATS and Redis. */
import { parseArgs } from 'node:util';
import { NatsMediaBus } from '@jt1078/bus';
import { HealthState, ShutdownSequence } from '@jt1078/runtime/lifecycle';
import { HttpRouter, addOpsRoutes, serveRouter } from '@jt1078/runtime/http';
import { loadConfig } from '@jt1078/runtime/config';
import { createLogger } from '@jt1078/runtime/logger';
import { createMetricsRegistry } from '@jt1078/runtime/metrics';
import { RedisStreamRegistry } from '@jt1078/store';
import { hostname } from 'node:os';
import { IngestService } from './ingest-service.js';

export async function ingestCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' } } });
  const { config, notes } = loadConfig(values.config);
  const log = createLogger({ name: 'ingest' });
  for (const n of notes) log.info(n);
  if (!config.cluster.nats.url || !config.cluster.redis.url) {
    process.stderr.write('jt1078 ingest: set cluster.nats.url and cluster.redis.url (or NATS_URL / REDIS_URL); `jt1078 start` runs without them.\n');
    return 2;
  }
  const pod = config.cluster.pod.name || hostname();
  const health = new HealthState();
  const metrics = createMetricsRegistry({ labels: { service: 'ingest', pod } });
  const bus = await NatsMediaBus.connect({
    url: config.cluster.nats.url,
    root: config.cluster.nats.subject_root,
    name: pod,
    onStatus: (s) => (s === 'disconnected' ? health.block('nats', 'disconnected') : health.unblock('nats')),
  });
  const registry = new RedisStreamRegistry(config.cluster.redis.url, config.cluster.nats.subject_root);
  const service = new IngestService({ config, bus, registry, metricsRegistry: metrics, log, pod });
  await service.start();
  const http = await serveRouter(addOpsRoutes(new HttpRouter(), health, metrics), config.cluster.http.addr);
  log.info({ pod, http: config.cluster.http.addr }, 'ingest ready');
  const shutdown = new ShutdownSequence(log);
  shutdown.add('readiness off', () => health.startDraining());
  shutdown.add('drain device connections', () => service.drain(config.cluster.ingest.drain_grace_second * 1000), (config.cluster.ingest.drain_grace_second + 10) * 1000);
  shutdown.add('drain NATS', () => bus.close());
  shutdown.add('close registry', () => registry.close());
  shutdown.add('close HTTP', () => new Promise<void>((r) => http.close(() => r())));
  shutdown.installSignalHandlers();
  await new Promise(() => {});
  return 0;
}
