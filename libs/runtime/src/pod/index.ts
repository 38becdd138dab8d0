/**
 * What every service does first when it runs as a pod: read `--config`, refuse to start without
 * the cluster components it needs (saying which keys to set), and make its logger, health,
 * metrics and shutdown sequence. The service then composes its own parts on top.
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { HealthState, ShutdownSequence } from '../lifecycle/index.js';
import { createLogger, type Logger } from '../logger/index.js';
import { createMetricsRegistry, type Registry } from '../metrics/index.js';

export interface Pod {
  readonly service: string;
  readonly name: string;
  readonly config: Config;
  readonly log: Logger;
  readonly health: HealthState;
  readonly metrics: Registry;
  readonly shutdown: ShutdownSequence;
}

/** The pod, or the exit code when it cannot start (the reason is on stderr). */
export function startPod(service: string, argv: string[], needs: { nats?: boolean; redis?: boolean }): Pod | number {
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
  const log = createLogger({ name: service });
  for (const n of notes) log.info(n);
  const name = config.cluster.pod.name || hostname();
  const health = new HealthState();
  return { service, name, config, log, health, metrics: createMetricsRegistry({ labels: { service, pod: name } }), shutdown: new ShutdownSequence(log) };
}

export { discoverPublicAddress, type PublicAddressOptions } from './node-address.js';
export { pickNodeAddress, NodeAddressType, type NodeAddress } from './pick-node-address.js';
