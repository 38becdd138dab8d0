/**
 * Everything `jt1078 start` reads from its config to compose the four services, in one pure
 * mapping made of the same pieces the pod commands use (podBusOptions, podStoreSettings and
 * each service's options): a key the pods honour, `start` honours too. test/composition.test.ts
 * checks every `cluster.*` key against both.
 */
import { podBusOptions, type PodBusOptions } from '@jt1078/bus';
import type { Config } from '@jt1078/runtime/config';
import { podName, type ProcessMode } from '@jt1078/runtime/pod';
import { podStoreSettings, type PodStoreSettings } from '@jt1078/store';
import { ingestOptions, type IngestOptions } from '@jt1078/svc-ingest';
import { intercomOptions, type IntercomOptions } from '@jt1078/svc-intercom';
import { packagerOptions, type PackagerOptions } from '@jt1078/svc-packager';
import { webhookOptions, type WebhookOptions } from '@jt1078/svc-webhook';

export interface StartPlan {
  readonly mode: ProcessMode;
  readonly name: string;
  /** In a cluster: NATS, and the Redis of the registry, the port leases and the packager members. */
  readonly cluster: { readonly bus: PodBusOptions; readonly stores: PodStoreSettings } | undefined;
  readonly ingest: IngestOptions;
  readonly packager: PackagerOptions;
  readonly intercom: IntercomOptions;
  readonly webhook: WebhookOptions;
}

/** With both NATS and Redis set the process joins a cluster; otherwise it runs alone, in-process. */
export function startPlan(config: Config): StartPlan {
  const name = podName(config);
  const mode: ProcessMode = config.cluster.nats.url && config.cluster.redis.url ? 'cluster' : 'single-process';
  const stores = mode === 'cluster' ? podStoreSettings(config) : undefined;
  return {
    mode,
    name,
    cluster: stores ? { bus: podBusOptions(config, name), stores } : undefined,
    ingest: ingestOptions(config, mode),
    packager: packagerOptions(config, name, stores),
    intercom: intercomOptions(config, mode),
    webhook: webhookOptions(config, mode),
  };
}
