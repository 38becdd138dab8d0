/**
 * The start-up check every command runs before it serves anything: each listener is bound once
 * and released, and NATS and Redis are dialled, all at once, so that every problem is reported
 * in one message (a port in use, an address not on this machine, a server out of reach) and
 * the command exits at once instead of serving half of what it should.
 */
import { createSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import type { Config } from '../config/index.js';
import { planListeners, type ListeningService, type PlannedListener } from './listener-plan.js';

/** A dependency that does not answer within this is reported (the command must exit within 5 s). */
const DIAL_TIMEOUT_MS = 2500;

/** Start-up cannot go on; `problems` say what to change, one a line. */
export class StartupProblems extends Error {
  override readonly name = 'StartupProblems';
  readonly kind = 'startup-problems';
  constructor(readonly problems: readonly string[]) {
    super(problems.length === 1 ? problems[0]! : `${problems.length} problems stop start-up:\n  - ${problems.join('\n  - ')}`);
  }
}

const CONFIG_HINT = 'in a config file (`--config FILE`; `jt1078 start --print-config` shows every key)';

function changeIt(l: PlannedListener): string {
  return `with ${l.key} ${CONFIG_HINT}${l.env ? ` or the ${l.env} environment variable` : ''}`;
}

/** What to say about a listener that could not bind, by its errno code. */
export function describeListenFailure(l: PlannedListener, code: string | undefined, ports: readonly number[] = [l.port]): string {
  const at = `${l.host}:${ports.length > 1 ? `${ports[0]}-${ports[ports.length - 1]}` : l.port}`;
  const proto = l.protocol.toUpperCase();
  if (code === 'EADDRINUSE') {
    const which = ports.length > 1 ? `ports ${ports.join(', ')} (${l.what}, ${proto}, from ${l.key}) are` : `port ${l.port} (${l.what}, ${proto} ${at}, from ${l.key}) is`;
    return `${which} already in use by another program, perhaps another jt1078. Stop it (\`ss -ltnup 'sport = :${ports[0]}'\` shows which), or choose free ports ${changeIt(l)}.`;
  }
  if (code === 'EACCES') return `no permission to listen on port ${l.port} (${l.what}, ${at}, from ${l.key}): ports below 1024 need privileges. Choose a port above 1023 ${changeIt(l)}.`;
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return `${l.host} (${l.what}, ${at}, from ${l.key}) is not an address of this machine. Use 0.0.0.0 (every interface) or one of this machine's addresses ${changeIt(l)}.`;
  }
  return `cannot listen on ${at} (${l.what}, ${proto}, from ${l.key}): ${code ?? 'unknown error'}. Change it ${changeIt(l)}.`;
}

/** Binds and releases one listener; the errno code when it cannot. */
function probe(l: PlannedListener): Promise<string | undefined> {
  if (l.port === 0) return Promise.resolve(undefined); // the system picks a free one
  return new Promise((resolve) => {
    if (l.protocol === 'udp') {
      const socket = createSocket({ type: l.host.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        socket.close();
        resolve(err.code ?? 'error');
      });
      socket.bind(l.port, l.host, () => socket.close(() => resolve(undefined)));
      return;
    }
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    server.listen({ port: l.port, host: l.host, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** Probes every listener; one problem per key and failure kind (30 taken audio ports are one line). */
export async function checkListeners(listeners: readonly PlannedListener[]): Promise<string[]> {
  const codes = await Promise.all(listeners.map(probe));
  const groups = new Map<string, { listener: PlannedListener; code: string; ports: number[] }>();
  listeners.forEach((l, i) => {
    const code = codes[i];
    if (code === undefined) return;
    const id = `${l.key}/${l.protocol}/${code}`;
    const g = groups.get(id);
    if (g) g.ports.push(l.port);
    else groups.set(id, { listener: l, code, ports: [l.port] });
  });
  // A TCP failure says it all; the UDP twin on the same port failing the same way adds nothing.
  const seen = new Set<string>();
  const out: string[] = [];
  for (const g of groups.values()) {
    const same = `${g.listener.key}/${g.code}`;
    if (seen.has(same)) continue;
    seen.add(same);
    out.push(describeListenFailure(g.listener, g.code, g.ports));
  }
  return out;
}

/** The host:port pairs of a NATS (comma-separated) or Redis URL. */
function endpoints(url: string, defaultPort: number): Array<{ host: string; port: number }> {
  return url.split(',').map((u) => {
    const text = u.trim().includes('://') ? u.trim() : `x://${u.trim()}`;
    const parsed = new URL(text);
    return { host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(parsed.port) || defaultPort };
  });
}

function dial(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (why: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => done(`no answer within ${DIAL_TIMEOUT_MS / 1000} s`), DIAL_TIMEOUT_MS);
    socket.once('connect', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? 'connection refused' : err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' ? `unknown host ${host}` : (err.code ?? err.message)));
  });
}

export interface DependencyNeeds {
  readonly nats?: boolean;
  readonly redis?: boolean;
  /** `jt1078 start` can run without them: the message says how. */
  readonly optional?: boolean;
}

/** A problem when the dependency answers on none of its addresses. */
async function checkDependency(name: 'NATS' | 'Redis', url: string, needs: DependencyNeeds): Promise<string | undefined> {
  const [key, env, port, run] = name === 'NATS' ? ['cluster.nats.url', 'NATS_URL', 4222, 'NATS with JetStream (`nats-server -js`)'] as const : ['cluster.redis.url', 'REDIS_URL', 6379, 'Redis (`redis-server`)'] as const;
  let targets;
  try {
    targets = endpoints(url, port);
  } catch {
    return `${url} is not a ${name} URL (from ${key} or ${env}); write it as ${name === 'NATS' ? 'nats://HOST:4222' : 'redis://HOST:6379'}.`;
  }
  const answers = await Promise.all(targets.map((t) => dial(t.host, t.port)));
  if (answers.some((a) => a === undefined)) return undefined;
  const without = needs.optional ? ' or unset NATS_URL and REDIS_URL (and cluster.nats.url/cluster.redis.url) to run everything in this process without them' : '';
  return `cannot reach ${name} at ${url} (${answers[0]}), set by ${key} or ${env}. Start ${run} there, correct the URL${without}.`;
}

/** Every problem that would stop `services` from starting with `config`; empty when it can start. */
export async function checkStartup(config: Config, services: readonly ListeningService[], needs: DependencyNeeds = {}): Promise<string[]> {
  const [ports, nats, redis] = await Promise.all([
    checkListeners(planListeners(config, services)),
    needs.nats ? checkDependency('NATS', config.cluster.nats.url, needs) : undefined,
    needs.redis ? checkDependency('Redis', config.cluster.redis.url, needs) : undefined,
  ]);
  return [...ports, ...[nats, redis].filter((p): p is string => p !== undefined)];
}
