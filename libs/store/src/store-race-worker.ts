/**
 * One "pod" of store-concurrency.test.ts, as its own OS process: it connects, prints `ready`,
 * waits for `go` on stdin (so every process fires at the same moment), runs its share of
 * concurrent requests against Redis and prints one JSON line with what it was granted.
 *
 *   node --import tsx store-race-worker.ts '<json WorkerTask>'
 */
import { createInterface } from 'node:readline';
import { LeaseUnavailable, type PortLease } from './port-lease-store.js';
import { RedisPortLeaseStore } from './redis-port-lease-store.js';
import { RedisStreamRegistry } from './redis-stream-registry.js';

export type WorkerTask =
  | { readonly mode: 'lease'; readonly url: string; readonly prefix: string; readonly worker: number; readonly requests: number; readonly ports: [number, number]; readonly ttlMs: number }
  | { readonly mode: 'claim'; readonly url: string; readonly prefix: string; readonly worker: number; readonly requests: number; readonly baseName: string };

export type WorkerResult =
  | { readonly mode: 'lease'; readonly granted: PortLease[]; readonly unavailable: number; readonly failed: string[] }
  | { readonly mode: 'claim'; readonly names: string[]; readonly failed: string[] };

async function run(task: WorkerTask): Promise<WorkerResult> {
  if (task.mode === 'lease') {
    const store = new RedisPortLeaseStore(task.url, task.prefix);
    await store.redis.ping();
    await go();
    const outcomes = await Promise.all(
      Array.from({ length: task.requests }, (_, i) =>
        store.acquire({ sim: `1380000${task.worker}${String(i).padStart(3, '0')}`, channel: 1 }, { ports: task.ports, ttlMs: task.ttlMs, holder: `worker-${task.worker}` }).then(
          (lease) => ({ lease }),
          (err: unknown) => ({ err }),
        ),
      ),
    );
    await store.close();
    const granted: PortLease[] = [];
    let unavailable = 0;
    const failed: string[] = [];
    for (const o of outcomes) {
      if ('lease' in o) granted.push(o.lease);
      else if (o.err instanceof LeaseUnavailable && o.err.reason === 'no-free-port') unavailable++;
      else failed.push(String(o.err));
    }
    return { mode: 'lease', granted, unavailable, failed };
  }
  const registry = new RedisStreamRegistry(task.url, task.prefix);
  await registry.redis.ping();
  await go();
  const outcomes = await Promise.all(
    Array.from({ length: task.requests }, (_, i) =>
      registry.claim(task.baseName, {
        pod: `worker-${task.worker}`, connectionId: `w${task.worker}-c${i}`, sim: '295696659617', channel: 1, kind: 'live', startTime: '2025-07-13 18:58:15',
        joinBody: { streamPath: task.baseName },
      }, 60_000).then((name) => ({ name }), (err: unknown) => ({ err })),
    ),
  );
  await registry.close();
  return {
    mode: 'claim',
    names: outcomes.flatMap((o) => ('name' in o ? [o.name] : [])),
    failed: outcomes.flatMap((o) => ('err' in o ? [String(o.err)] : [])),
  };
}

/** Says ready, then waits for the parent's go. */
function go(): Promise<void> {
  process.stdout.write('ready\n');
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin });
    rl.once('line', () => {
      rl.close();
      process.stdin.destroy(); // nothing more to read: let the process exit when done
      resolve();
    });
  });
}

const task = JSON.parse(process.argv[2] ?? '{}') as WorkerTask;
run(task).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  },
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
