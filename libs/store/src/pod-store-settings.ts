/**
 * Where a cluster process keeps its shared state: the Redis of `cluster.redis.url`, under the
 * key root `cluster.nats.subject_root` (one root isolates a deployment on shared servers). The
 * one reading of those keys for the registry, the port leases and the packager members.
 */

/** The config keys this reads (runtime's Config satisfies it). */
export interface StoreConfig {
  readonly cluster: { readonly redis: { readonly url: string }; readonly nats: { readonly subject_root: string } };
}

export interface PodStoreSettings {
  readonly redisUrl: string;
  readonly root: string;
}

export function podStoreSettings(config: StoreConfig): PodStoreSettings {
  return { redisUrl: config.cluster.redis.url, root: config.cluster.nats.subject_root };
}
