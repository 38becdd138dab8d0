/** `jt1078 webhook [--config FILE]`: the callback relay as a pod runs it, on NATS. */
import { connectPodBus, podBusOptions, type PodBusOptions } from '@jt1078/bus';
import type { Config } from '@jt1078/runtime/config';
import { HttpRouter, addOpsRoutes } from '@jt1078/runtime/http';
import { servePod, startPod } from '@jt1078/runtime/pod';
import { startWebhookRelay, webhookOptions, type WebhookOptions } from './webhook-relay.js';

/** Everything the pod reads from its config, in one pure mapping (test/composition.test.ts checks it). */
export interface WebhookPodPlan {
  readonly bus: PodBusOptions;
  readonly webhook: WebhookOptions;
}

export function webhookPodPlan(config: Config, name: string): WebhookPodPlan {
  return { bus: podBusOptions(config, name), webhook: webhookOptions(config, 'cluster') };
}

export async function webhookCommand(argv: string[]): Promise<number> {
  const pod = await startPod('webhook', argv, { nats: true });
  if (typeof pod === 'number') return pod;
  const plan = webhookPodPlan(pod.config, pod.name);
  const bus = await connectPodBus(plan.bus, pod);
  let relay;
  try {
    relay = await startWebhookRelay({ ...plan.webhook, bus, log: pod.log, metricsRegistry: pod.metrics });
  } catch (err) {
    await bus.close().catch(() => undefined);
    throw err;
  }
  return servePod(pod, {
    router: addOpsRoutes(new HttpRouter(), pod.health, pod.metrics),
    service: relay,
    connections: [{ name: 'drain NATS', run: () => bus.close() }],
    ready: { message: 'webhook relay ready' },
  });
}
