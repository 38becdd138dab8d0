/** `jt1078 packager [--config FILE]`: the LL-HLS origin as a pod runs it, on NATS and Redis. */
import { connectPodBus, podBusOptions, type PodBusOptions } from '@jt1078/bus';
import type { Config } from '@jt1078/runtime/config';
import { HttpRouter, addOpsRoutes } from '@jt1078/runtime/http';
import { servePod, startPod } from '@jt1078/runtime/pod';
import { RedisStreamRegistry, podStoreSettings, type PodStoreSettings } from '@jt1078/store';
import { packagerOptions, startPackager, type PackagerOptions } from './start-packager.js';

/** Everything the pod reads from its config, in one pure mapping (test/composition.test.ts checks it). */
export interface PackagerPodPlan {
  readonly bus: PodBusOptions;
  readonly stores: PodStoreSettings;
  readonly packager: PackagerOptions;
}

export function packagerPodPlan(config: Config, name: string): PackagerPodPlan {
  const stores = podStoreSettings(config);
  return { bus: podBusOptions(config, name), stores, packager: packagerOptions(config, name, stores) };
}

export async function packagerCommand(argv: string[]): Promise<number> {
  const pod = await startPod('packager', argv, { nats: true, redis: true });
  if (typeof pod === 'number') return pod;
  const plan = packagerPodPlan(pod.config, pod.name);
  const bus = await connectPodBus(plan.bus, pod);
  const registry = new RedisStreamRegistry(plan.stores.redisUrl, plan.stores.root);
  const router = addOpsRoutes(new HttpRouter(), pod.health, pod.metrics);
  const packager = startPackager({ ...plan.packager, bus, registry, router, metricsRegistry: pod.metrics, log: pod.log, pod: pod.name });
  return servePod(pod, {
    router,
    service: packager,
    connections: [
      { name: 'drain NATS', run: () => bus.close() },
      { name: 'close registry', run: () => registry.close() },
    ],
    ready: { message: 'packager ready', facts: () => ({ url: packager.members?.self.url, members: packager.members?.members().length }) },
  });
}
