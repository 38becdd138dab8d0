/**
 * What `jt1078 start` tells a user when start-up fails after its start-up check passed (a port
 * taken in between, NATS answering TCP but not as NATS): the error is mapped back to the config
 * key (and environment variable) that chose the port or the URL, so the message says exactly
 * what to change.
 */
import type { Config } from '@jt1078/runtime/config';
import { describeListenFailure, planListeners } from '@jt1078/runtime/pod';

/** NATS or Redis could not be reached at start-up. */
export class DependencyUnreachable extends Error {
  override readonly name = 'DependencyUnreachable';
  readonly kind = 'dependency-unreachable';
  constructor(
    readonly service: 'NATS' | 'Redis',
    readonly url: string,
    options?: ErrorOptions,
  ) {
    super(`cannot reach ${service} at ${url}`, options);
  }
}

/** A message saying what to do, or undefined for a failure this does not know. */
export function explainStartFailure(err: unknown, config: Config): string | undefined {
  if (err instanceof DependencyUnreachable) {
    const nats = err.service === 'NATS';
    const [key, env] = nats ? ['cluster.nats.url', 'NATS_URL'] : ['cluster.redis.url', 'REDIS_URL'];
    // ioredis' own words (a retry count) say less than "cannot reach" already does.
    const cause = err.cause instanceof Error && err.cause.name !== 'MaxRetriesPerRequestError' ? ` (${err.cause.message})` : '';
    return `${err.message}${cause}, set by ${key} or ${env}. Start ${nats ? 'NATS with JetStream (`nats-server -js`)' : 'Redis (`redis-server`)'} there, correct the URL, or unset NATS_URL and REDIS_URL (and cluster.nats.url/cluster.redis.url) to run everything in this process without them.`;
  }
  // A listener that was free at the start-up check and taken a moment later (a race): said as the check says it.
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string };
  if (e?.code !== 'EADDRINUSE' && e?.code !== 'EACCES' && e?.code !== 'EADDRNOTAVAIL') return undefined;
  if (e.port === undefined) return undefined;
  const planned = planListeners(config, ['ingest', 'packager', 'intercom', 'webhook']);
  const owner = planned.find((l) => l.port === e.port && (e.address === undefined || l.host === e.address)) ?? planned.find((l) => l.port === e.port);
  return owner ? describeListenFailure(owner, e.code) : undefined;
}
