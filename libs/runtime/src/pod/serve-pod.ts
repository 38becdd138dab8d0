/**
 * The end of every pod command once its service has started: serve HTTP (the service's routes
 * beside /healthz, /readyz, /metrics), tell the service it is reachable, log that the pod is
 * ready, and shut down in serviceShutdownOrder on SIGTERM. Never returns: the signal ends it.
 */
import { serveRouter, type HttpRouter } from '../http/index.js';
import { serviceShutdownOrder, type RunningService, type ShutdownStep } from '../lifecycle/index.js';
import type { Pod } from './index.js';

export interface ServedPod {
  readonly router: HttpRouter;
  readonly service: RunningService;
  /** The bus and the stores, in the order they close (after the service's steps and HTTP). */
  readonly connections: readonly ShutdownStep[];
  /** The ready line: its message (tests and operators wait for it) and what it says. */
  readonly ready: { readonly message: string; readonly facts?: () => Record<string, unknown> };
}

export async function servePod(pod: Pod, served: ServedPod): Promise<never> {
  const http = await serveRouter(served.router, pod.config.cluster.http.addr);
  await served.service.serving?.();
  pod.log.info({ pod: pod.name, http: pod.config.cluster.http.addr, ...served.ready.facts?.() }, served.ready.message);
  pod.shutdown.addSteps(serviceShutdownOrder({ health: pod.health, services: [served.service], http, connections: served.connections }));
  pod.shutdown.installSignalHandlers();
  return new Promise<never>(() => {});
}
