/** `jt1078 ingest [--config FILE]`: the ingest as a pod runs it, on NATS and Redis. */
import { connectPodBus, podBusOptions, type PodBusOptions } from '@jt1078/bus';
import type { Config } from '@jt1078/runtime/config';
import { HttpRouter, addOpsRoutes } from '@jt1078/runtime/http';
import { servePod, startPod } from '@jt1078/runtime/pod';
import { RedisStreamRegistry, podStoreSettings, type PodStoreSettings } from '@jt1078/store';
import { ingestOptions, startIngest, type IngestOptions } from './start-ingest.js';

/** Everything the pod reads from its config, in one pure mapping (test/composition.test.ts checks it). */
export interface IngestPodPlan {
  readonly bus: PodBusOptions;
  readonly stores: PodStoreSettings;
  readonly ingest: IngestOptions;
}

export function ingestPodPlan(config: Config, name: string): IngestPodPlan {
  return { bus: podBusOptions(config, name), stores: podStoreSettings(config), ingest: ingestOptions(config, 'cluster') };
}

export async function ingestCommand(argv: string[]): Promise<number> {
  const pod = await startPod('ingest', argv, { nats: true, redis: true });
  if (typeof pod === 'number') return pod;
  const plan = ingestPodPlan(pod.config, pod.name);
  const bus = await connectPodBus(plan.bus, pod);
  const registry = new RedisStreamRegistry(plan.stores.redisUrl, plan.stores.root);
  let ingest;
  try {
    ingest = await startIngest({ ...plan.ingest, bus, registry, metricsRegistry: pod.metrics, log: pod.log, pod: pod.name });
  } catch (err) {
    // A pod that cannot listen (port taken) must exit, not linger with NATS and Redis open.
    await Promise.allSettled([bus.close(), registry.close()]);
    throw err;
  }
  return servePod(pod, {
    router: addOpsRoutes(new HttpRouter(), pod.health, pod.metrics),
    service: ingest,
    connections: [
      { name: 'drain NATS', run: () => bus.close() },
      { name: 'close registry', run: () => registry.close() },
    ],
    ready: { message: 'ingest ready' },
  });
}
