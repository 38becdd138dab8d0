/**
 * Where tests find NATS and Redis (DESIGN.md "Real components"), in this order:
 *   1. NATS_URL / REDIS_URL when set;
 *   2. the servers every machine of this project runs on 127.0.0.1:4222 / :6379;
 *   3. `nats-server -js` / `redis-server` from PATH, started on free ports and stopped when the
 *      test process exits;
 *   4. otherwise the test FAILS, saying which of these to provide. Never a skip: CI must run
 *      every test. (Docker and testcontainers run the image in test/container-cluster.test.ts,
 *      with NATS and Redis containers of its own; the other tests use these servers.)
 *
 * Tests share those servers with each other and with other people's runs: each isolates itself
 * with uniquePrefix() (subject roots, stream names, consumer names, Redis keys) and removes what
 * it created. A test that must stop or restart a server starts its own with startNatsServer() /
 * startRedisServer() and never touches the shared ones.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

/** A server port accepts connections within this long after spawn, or the start failed. */
const START_TIMEOUT_MS = 10_000;

function reachable(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ port, host });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * Ports handed out by this test process: two calls never return the same one, even before the
 * first is bound.
 */
const handedOut = new Set<number>();

function canListenTcp(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '0.0.0.0', () => srv.close(() => resolve(true)));
  });
}

function canBindUdp(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const sock = createSocket('udp4');
    sock.once('error', () => {
      sock.close();
      resolve(false);
    });
    sock.bind(port, '0.0.0.0', () => sock.close(() => resolve(true)));
  });
}

/**
 * `count` consecutive ports free for TCP and UDP, below the ephemeral range (32768+ on Linux), so
 * no outgoing connection of a parallel test takes one between the check and the listen (a port
 * the OS picks for `listen(0)` is ephemeral, and a client socket elsewhere can be given it: that
 * is how `jt1078 start` once failed to bind in CI). Parallel test processes pick at random in
 * 10000–32000, so two of them colliding is unlikely; one process never hands out a port twice.
 */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const first = 10_000 + Math.floor(Math.random() * (32_000 - 10_000 - count));
    let ok = true;
    for (let p = first; p < first + count && ok; p++) ok = !handedOut.has(p) && (await canListenTcp(p)) && (await canBindUdp(p));
    if (ok) {
      for (let p = first; p < first + count; p++) handedOut.add(p);
      return first;
    }
  }
  throw new Error(`no ${count} consecutive free TCP+UDP ports found between 10000 and 32000`);
}

/** A port free for TCP and UDP right now, outside the ephemeral range (see freePortRange). */
export function freePort(): Promise<number> {
  return freePortRange(1);
}

export function onPath(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0;
}

/** A server process a test owns: it may stop and start it again on the same port and data directory. */
export interface LocalServer {
  readonly url: string;
  readonly port: number;
  readonly running: boolean;
  /** SIGTERM and wait for the port to close (SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** Starts it again (same port, same data directory). */
  start(): Promise<void>;
}

class SpawnedServer implements LocalServer {
  #child: ChildProcess | undefined;

  constructor(
    private readonly binary: string,
    private readonly args: readonly string[],
    readonly port: number,
    readonly url: string,
  ) {}

  get running(): boolean {
    return this.#child !== undefined;
  }

  async start(): Promise<void> {
    if (this.#child) return;
    const child = spawn(this.binary, [...this.args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    children.add(child);
    this.#child = child;
    const end = Date.now() + START_TIMEOUT_MS;
    while (!(await reachable(this.port))) {
      if (child.exitCode !== null || Date.now() > end) {
        await this.stop();
        throw new Error(`${this.binary} ${this.args.join(' ')} did not start on port ${this.port}: ${stderr.trim() || `exit ${child.exitCode}`}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
    children.delete(child);
  }
}

function missing(what: 'NATS' | 'Redis', binary: string, env: string, port: number): Error {
  return new Error(
    `No ${what} for the tests. Provide one of: ${env}=<url> in the environment; a ${what} server on 127.0.0.1:${port}` +
      `${what === 'NATS' ? ' with JetStream on (nats-server -js)' : ''}; or \`${binary}\` on PATH (the tests start it on a free port). ` +
      '(Docker is for the container cluster test only, which runs NATS and Redis containers of its own.)',
  );
}

/**
 * A private `nats-server -js` on a free port, with its own store directory (kept across
 * stop/start); `config`: nats-server configuration text for what has no flag (max_payload).
 */
export async function startNatsServer(opts: { config?: string } = {}): Promise<LocalServer> {
  if (!onPath('nats-server')) throw missing('NATS', 'nats-server', 'NATS_URL', 4222);
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'nats-js-'));
  tempDirs.add(dir);
  const config = opts.config === undefined ? [] : ['-c', path.join(dir, 'nats.conf')];
  if (opts.config !== undefined) writeFileSync(config[1]!, opts.config);
  const server = new SpawnedServer('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir, ...config], port, `nats://127.0.0.1:${port}`);
  await server.start();
  return server;
}

/** A private `redis-server` on a free port, no persistence (a restart loses everything, as a crashed Redis without AOF does). */
export async function startRedisServer(): Promise<LocalServer> {
  if (!onPath('redis-server')) throw missing('Redis', 'redis-server', 'REDIS_URL', 6379);
  const port = await freePort();
  const server = new SpawnedServer('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], port, `redis://127.0.0.1:${port}`);
  await server.start();
  return server;
}

let natsPromise: Promise<string> | undefined;
let redisPromise: Promise<string> | undefined;

/** The NATS (JetStream) URL tests use; see the file comment for the order. */
export function natsUrl(): Promise<string> {
  natsPromise ??= (async () => {
    const env = process.env['NATS_URL'];
    if (env) return env;
    if (await reachable(4222)) return 'nats://127.0.0.1:4222';
    return (await startNatsServer()).url;
  })();
  return natsPromise;
}

/** The Redis URL tests use; see the file comment for the order. */
export function redisUrl(): Promise<string> {
  redisPromise ??= (async () => {
    const env = process.env['REDIS_URL'];
    if (env) return env;
    if (await reachable(6379)) return 'redis://127.0.0.1:6379';
    return (await startRedisServer()).url;
  })();
  return redisPromise;
}

/**
 * A prefix no other test (or test run) on a shared server uses: `t<label><8 hex>`, letters and
 * digits only, so it is valid as a NATS subject token, a JetStream stream/consumer name and a
 * Redis key prefix.
 */
export function uniquePrefix(label: string): string {
  return `t${label.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 12)}${randomBytes(4).toString('hex')}`;
}

/**
 * Polls `cond` every 20 ms until it holds, or fails naming `what` after `timeoutMs`. `what` may be
 * a function, read only on failure: a message that quotes logs must quote them as they are then.
 */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what: string | (() => string) = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
