/** `jt1078 intercom [--config FILE]`: the intercom as a pod runs it, on NATS and Redis. */
import { connectPodBus, podBusOptions, type PodBusOptions } from '@jt1078/bus';
import type { Config } from '@jt1078/runtime/config';
import { HttpRouter, addOpsRoutes } from '@jt1078/runtime/http';
import { servePod, startPod } from '@jt1078/runtime/pod';
import { RedisPortLeaseStore, podStoreSettings, type PodStoreSettings } from '@jt1078/store';
import { intercomOptions, startTalkService, type IntercomOptions } from './start-talk-service.js';

/** Everything the pod reads from its config, in one pure mapping (test/composition.test.ts checks it). */
export interface IntercomPodPlan {
  readonly bus: PodBusOptions;
  readonly stores: PodStoreSettings;
  readonly intercom: IntercomOptions;
}

export function intercomPodPlan(config: Config, name: string): IntercomPodPlan {
  return { bus: podBusOptions(config, name), stores: podStoreSettings(config), intercom: intercomOptions(config, 'cluster') };
}

export async function intercomCommand(argv: string[]): Promise<number> {
  const pod = await startPod('intercom', argv, { nats: true, redis: true });
  if (typeof pod === 'number') return pod;
  const plan = intercomPodPlan(pod.config, pod.name);
  const bus = await connectPodBus(plan.bus, pod);
  const leases = new RedisPortLeaseStore(plan.stores.redisUrl, plan.stores.root);
  const router = addOpsRoutes(new HttpRouter(), pod.health, pod.metrics);
  let talk;
  try {
    talk = await startTalkService({ ...plan.intercom, bus, leases, router, metricsRegistry: pod.metrics, log: pod.log, pod: pod.name });
  } catch (err) {
    // A taken audio port (AudioPortInUse names it) or a bad port mapping: nothing to serve.
    // The CLI says why in one line; the process exits.
    await Promise.allSettled([bus.close(), leases.close()]);
    throw err;
  }
  const { intercom, publicAddress } = talk;
  return servePod(pod, {
    router,
    service: talk,
    connections: [
      { name: 'drain NATS', run: () => bus.close() },
      { name: 'close leases', run: () => leases.close() },
    ],
    ready: { message: 'intercom ready', facts: () => ({ audioPorts: pod.config.jt1078.intercom.audio_ports, listening: intercom.ports().length, publicIp: publicAddress }) },
  });
}
