/**
 * What every service does first when it runs as a pod: read `--config`, refuse to start without
 * the cluster components it needs (saying which keys to set), and make its logger, health,
 * metrics and shutdown sequence. The service then composes its own parts on top.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { HealthState, ShutdownSequence } from '../lifecycle/index.js';
import { createLogger, type Logger } from '../logger/index.js';
import { createMetricsRegistry, type Registry } from '../metrics/index.js';
import type { ListeningService } from './listener-plan.js';
import { podName } from './pod-name.js';
import { checkStartup } from './startup-check.js';

export interface Pod {
  readonly service: string;
  readonly name: string;
  readonly config: Config;
  readonly log: Logger;
  readonly health: HealthState;
  readonly metrics: Registry;
  readonly shutdown: ShutdownSequence;
}

/**
 * The pod, or the exit code when it cannot start (the reason is on stderr): 2 for a wrong
 * command line or config, 1 when a listener cannot bind or NATS/Redis do not answer (every
 * such problem in one message, checked before anything serves).
 */
export async function startPod(service: ListeningService, argv: string[], needs: { nats?: boolean; redis?: boolean }): Promise<Pod | number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' } } });
  let loaded;
  try {
    loaded = loadConfig(values.config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`jt1078 ${service}: ${err.message}\n`);
    return 2;
  }
  const { config, notes } = loaded;
  const missing = [needs.nats && !config.cluster.nats.url && 'cluster.nats.url (NATS_URL)', needs.redis && !config.cluster.redis.url && 'cluster.redis.url (REDIS_URL)'].filter(Boolean);
  if (missing.length > 0) {
    process.stderr.write(`jt1078 ${service}: set ${missing.join(' and ')}; \`jt1078 start\` runs without them.\n`);
    return 2;
  }
  const problems = await checkStartup(config, [service], needs);
  if (problems.length > 0) {
    process.stderr.write(`jt1078 ${service}: ${problems.length === 1 ? problems[0] : `${problems.length} problems stop start-up:\n  - ${problems.join('\n  - ')}`}\n`);
    return 1;
  }
  const log = createLogger({ name: service });
  for (const n of notes) log.info(n);
  const name = podName(config);
  const health = new HealthState();
  return { service, name, config, log, health, metrics: createMetricsRegistry({ labels: { service, pod: name } }), shutdown: new ShutdownSequence(log) };
}

export { planListeners, type ListeningService, type PlannedListener } from './listener-plan.js';
export { checkListeners, checkStartup, describeListenFailure, StartupProblems, type DependencyNeeds } from './startup-check.js';
export { discoverPublicAddress, type PublicAddressOptions } from './node-address.js';
export { pickNodeAddress, NodeAddressType, type NodeAddress } from './pick-node-address.js';
export { podName } from './pod-name.js';
export { servePod, type ServedPod } from './serve-pod.js';
export type { ProcessMode } from './process-mode.js';
