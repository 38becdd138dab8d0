/**
 * What `jt1078 start` tells a user when start-up fails on something they can fix: a port in
 * use, an address that is not this machine's, NATS or Redis out of reach. The error is mapped
 * back to the config key (and environment variable) that chose the port or the URL, so the
 * message says exactly what to change.
 */
import type { Config } from '@jt1078/runtime/config';
import { splitAddr } from '@jt1078/svc-ingest';

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

interface Listener {
  readonly key: string;
  readonly env?: string;
  readonly matches: (port: number) => boolean;
}

function listeners(config: Config): Listener[] {
  const j = config.jt1078;
  const at = (addr: string) => (port: number) => splitAddr(addr).port === port;
  const [lo, hi] = j.intercom.audio_ports;
  return [
    { key: 'cluster.http.addr', env: 'HTTP_ADDR', matches: at(config.cluster.http.addr) },
    { key: 'jt1078.realtime.addr', matches: at(j.realtime.addr) },
    { key: 'jt1078.playback.addr', matches: at(j.playback.addr) },
    { key: 'jt1078.intercom.jt1078webrtc.port', matches: (p) => p === j.intercom.jt1078webrtc.port },
    { key: 'jt1078.intercom.audio_ports', matches: (p) => p >= lo && p <= hi },
  ];
}

/** Where to change what a listener uses. */
function changeIt(owner: Listener | undefined): string {
  if (!owner) return 'in a config file (`jt1078 start --config FILE`; `--print-config` shows every key)';
  return `with ${owner.key} in a config file (\`jt1078 start --config FILE\`; \`--print-config\` shows every key)${owner.env ? ` or the ${owner.env} environment variable` : ''}`;
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
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string };
  if (e?.code !== 'EADDRINUSE' && e?.code !== 'EACCES' && e?.code !== 'EADDRNOTAVAIL') return undefined;
  if (e.port === undefined) return undefined;
  const owner = listeners(config).find((l) => l.matches(e.port!));
  const from = `${e.address ?? ''}:${e.port}${owner ? `, from ${owner.key}` : ''}`;
  if (e.code === 'EADDRINUSE') {
    return `port ${e.port} (${from}) is already in use by another program, perhaps another jt1078. Stop it (\`ss -ltnup 'sport = :${e.port}'\` shows which), or choose a free port ${changeIt(owner)}.`;
  }
  if (e.code === 'EACCES') {
    return `no permission to listen on port ${e.port} (${from}): ports below 1024 need privileges. Choose a port above 1023 ${changeIt(owner)}.`;
  }
  return `${e.address} (${from}) is not an address of this machine. Use 0.0.0.0 (every interface) or one of this machine's addresses ${changeIt(owner)}.`;
}
