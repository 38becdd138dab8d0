/** `jt1078 webhook [--config FILE]`: the callback relay as a pod runs it, on NATS. */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { NatsMediaBus } from '@jt1078/bus';
import { loadConfig } from '@jt1078/runtime/config';
import { HttpRouter, addOpsRoutes, serveRouter } from '@jt1078/runtime/http';
import { HealthState, ShutdownSequence } from '@jt1078/runtime/lifecycle';
import { createLogger } from '@jt1078/runtime/logger';
import { createMetricsRegistry } from '@jt1078/runtime/metrics';
import { startWebhookRelay } from './webhook-relay.js';

export async function webhookCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' } } });
  const { config, notes } = loadConfig(values.config);
  const log = createLogger({ name: 'webhook' });
  for (const n of notes) log.info(n);
  if (!config.cluster.nats.url) {
    process.stderr.write('jt1078 webhook: set cluster.nats.url (or NATS_URL): the relay reads events from JetStream.\n');
    return 2;
  }
  const pod = config.cluster.pod.name || hostname();
  const health = new HealthState();
  const metrics = createMetricsRegistry({ labels: { service: 'webhook', pod } });
  const bus = await NatsMediaBus.connect({
    url: config.cluster.nats.url,
    root: config.cluster.nats.subject_root,
    eventAckWaitMs: config.cluster.nats.event_ack_wait_second * 1000,
    name: pod,
    onStatus: (s) => (s === 'disconnected' ? health.block('nats', 'disconnected') : health.unblock('nats')),
  });
  const relay = await startWebhookRelay({ config, bus, log, metricsRegistry: metrics });
  const http = await serveRouter(addOpsRoutes(new HttpRouter(), health, metrics), config.cluster.http.addr);
  log.info({ pod }, 'webhook relay ready');
  const shutdown = new ShutdownSequence(log);
  shutdown.add('readiness off', () => health.startDraining());
  // Unacknowledged events go back to JetStream and are redelivered to another relay.
  shutdown.add('stop relay', () => relay.stop());
  shutdown.add('drain NATS', () => bus.close());
  shutdown.add('close HTTP', () => new Promise<void>((r) => http.close(() => r())));
  shutdown.installSignalHandlers();
  await new Promise(() => {});
  return 0;
}
