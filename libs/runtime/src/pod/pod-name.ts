import { hostname } from 'node:os';
import type { Config } from '../config/index.js';

/** The name a process uses in the registry, NATS and metrics: `cluster.pod.name` (Kubernetes: the pod's), else the host name. */
export function podName(config: Config): string {
  return config.cluster.pod.name || hostname();
}
