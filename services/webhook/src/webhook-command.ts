/** `jt1078 webhook [--config FILE]`: the callback relay as a pod runs it, on NATS. */
import { connectPodBus } from '@jt1078/bus';
import { HttpRouter, addOpsRoutes, serveRouter } from '@jt1078/runtime/http';
import { startPod } from '@jt1078/runtime/pod';
import { startWebhookRelay } from './webhook-relay.js';

export async function webhookCommand(argv: string[]): Promise<number> {
  const pod = await startPod('webhook', argv, { nats: true });
  if (typeof pod === 'number') return pod;
  const { config, log, health, metrics, shutdown } = pod;
  const bus = await connectPodBus(pod);
  const relay = await startWebhookRelay({ config, bus, log, metricsRegistry: metrics });
  const http = await serveRouter(addOpsRoutes(new HttpRouter(), health, metrics), config.cluster.http.addr);
  log.info({ pod: pod.name }, 'webhook relay ready');
  shutdown.add('readiness off', () => health.startDraining());
  // Unacknowledged events go back to JetStream and are redelivered to another relay.
  shutdown.add('stop relay', () => relay.stop());
  shutdown.add('drain NATS', () => bus.close());
  shutdown.add('close HTTP', () => new Promise<void>((r) => http.close(() => r())));
  shutdown.installSignalHandlers();
  await new Promise(() => {});
  return 0;
}
