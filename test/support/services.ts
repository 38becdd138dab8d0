/**
 * Where tests find NATS and Redis (DESIGN.md "Real components"): NATS_URL / REDIS_URL when set;
 * else the servers every machine of this project runs on 127.0.0.1:4222 / :6379; else
 * `nats-server -js` / `redis-server` from PATH on free ports (stopped when the process exits);
 * else the test fails, saying which of these to provide. Never a skip: CI must run every test.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

const started: ChildProcess[] = [];
process.once('exit', () => {
  for (const c of started) c.kill('SIGKILL');
});

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

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

function onPath(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0;
}

async function startLocal(binary: string, args: (port: number) => string[]): Promise<string | undefined> {
  if (!onPath(binary)) return undefined;
  const port = await freePort();
  const child = spawn(binary, args(port), { stdio: 'ignore' });
  started.push(child);
  for (let i = 0; i < 50; i++) {
    if (await reachable(port)) return `127.0.0.1:${port}`;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  return undefined;
}

let natsPromise: Promise<string> | undefined;
let redisPromise: Promise<string> | undefined;

export function natsUrl(): Promise<string> {
  natsPromise ??= (async () => {
    if (process.env['NATS_URL']) return process.env['NATS_URL'];
    if (await reachable(4222)) return 'nats://127.0.0.1:4222';
    const dir = mkdtempSync(path.join(tmpdir(), 'nats-js-'));
    const addr = await startLocal('nats-server', (port) => ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir]);
    if (addr) return `nats://${addr}`;
    throw new Error('No NATS for the tests: set NATS_URL, run nats-server (JetStream on) at 127.0.0.1:4222, or put nats-server on PATH. (testcontainers is not used: no Docker engine here.)');
  })();
  return natsPromise;
}

export function redisUrl(): Promise<string> {
  redisPromise ??= (async () => {
    if (process.env['REDIS_URL']) return process.env['REDIS_URL'];
    if (await reachable(6379)) return 'redis://127.0.0.1:6379';
    const addr = await startLocal('redis-server', (port) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
    if (addr) return `redis://${addr}`;
    throw new Error('No Redis for the tests: set REDIS_URL, run redis-server at 127.0.0.1:6379, or put redis-server on PATH. (testcontainers is not used: no Docker engine here.)');
  })();
  return redisPromise;
}

/** A prefix no other test (or test run) on a shared server uses. */
export function uniquePrefix(label: string): string {
  return `t${label.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 12)}${randomBytes(4).toString('hex')}`;
}

export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
