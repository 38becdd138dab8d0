/**
 * The intercom issue's "Done when", across real OS processes (as pods are) against real Redis:
 * 200 concurrent acquires from 4 processes over 30 ports grant exactly 30, never two holders
 * of one port; the rest get LeaseUnavailable; expired leases are granted again and the stale
 * holders' tokens refused. And concurrent claims of one stream name from several processes
 * get distinct names.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { redisUrl, uniquePrefix } from '../../../test/support/services.js';
import { StaleLease } from './port-lease-store.js';
import { RedisPortLeaseStore } from './redis-port-lease-store.js';
import { RedisStreamRegistry } from './redis-stream-registry.js';
import type { WorkerResult, WorkerTask } from './store-race-worker.js';

const WORKER = path.join(import.meta.dirname, 'store-race-worker.ts');
const REPO = path.resolve(import.meta.dirname, '../../..');
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

/** Starts every worker, waits until all are connected, then releases them at once. */
async function race(tasks: WorkerTask[]): Promise<WorkerResult[]> {
  const procs = tasks.map((t) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(t)], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let onReady: () => void = () => {};
    const ready = new Promise<void>((r) => (onReady = r));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('ready\n')) onReady();
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const done = new Promise<WorkerResult>((resolve, reject) => {
      child.once('exit', (code) => {
        const line = out.split('\n').filter(Boolean).at(-1);
        if (code === 0 && line && line !== 'ready') resolve(JSON.parse(line) as WorkerResult);
        else reject(new Error(`worker ${t.worker} exited ${code}: ${err || out}`));
      });
    });
    return { child, ready, done };
  });
  await Promise.race([Promise.all(procs.map((p) => p.ready)), Promise.all(procs.map((p) => p.done))]);
  for (const p of procs) p.child.stdin.end('go\n');
  return Promise.all(procs.map((p) => p.done));
}

describe('stores under concurrent requests from 4 processes (real Redis)', () => {
  it('grants each of 30 ports exactly once among 200 acquires; expired ports are granted again; stale tokens are refused', async () => {
    const url = await redisUrl();
    const prefix = uniquePrefix('leaserace');
    const ports: [number, number] = [12021, 12050];
    const store = new RedisPortLeaseStore(url, prefix);
    cleanups.push(async () => {
      await store.clear();
      await store.close();
    });
    const results = await race(Array.from({ length: 4 }, (_, worker) => ({ mode: 'lease' as const, url, prefix, worker, requests: 50, ports, ttlMs: 60_000 })));
    const granted = results.flatMap((r) => (r.mode === 'lease' ? r.granted : []));
    const unavailable = results.reduce((n, r) => n + (r.mode === 'lease' ? r.unavailable : 0), 0);
    expect(results.flatMap((r) => r.failed)).toEqual([]);
    expect(granted).toHaveLength(30);
    expect(unavailable).toBe(170);
    expect(granted.map((l) => l.port).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => 12021 + i));
    expect(new Set(granted.map((l) => l.token)).size).toBe(30);
    // The store agrees with what each process was told.
    for (const l of granted) expect(await store.validate(l.port, l.token)).toEqual(l);
    expect(await store.list(ports)).toEqual([...granted].sort((a, b) => a.port - b.port));

    // Let every lease lapse: the ports are granted again, from the lowest, with newer tokens.
    for (const l of granted) await store.renew(l.port, l.token, 100);
    await new Promise((r) => setTimeout(r, 200));
    const again = await store.acquire({ sim: '013800138000', channel: 1 }, { ports, ttlMs: 10_000, holder: 'after' });
    expect(again.port).toBe(12021);
    expect(again.token).toBeGreaterThan(Math.max(...granted.map((l) => l.token)));
    const oldHolder = granted.find((l) => l.port === 12021)!;
    const err = await store.validate(oldHolder.port, oldHolder.token).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StaleLease);
    expect(err).toMatchObject({ reason: 'superseded', currentToken: again.token });
    const lapsed = granted.find((l) => l.port === 12022)!;
    expect(await store.validate(lapsed.port, lapsed.token).then(() => undefined, (e: unknown) => e)).toMatchObject({ reason: 'not-held' });
    expect(await store.release(oldHolder.port, oldHolder.token)).toBe(false);
  }, 30_000);

  it('gives 40 concurrent claims of one stream name from 4 processes 40 distinct names, one of them the base name', async () => {
    const url = await redisUrl();
    const prefix = uniquePrefix('claimrace');
    const registry = new RedisStreamRegistry(url, prefix);
    cleanups.push(async () => {
      await registry.clear();
      await registry.close();
    });
    const baseName = 'live/jt1078-295696659617-1';
    const results = await race(Array.from({ length: 4 }, (_, worker) => ({ mode: 'claim' as const, url, prefix, worker, requests: 10, baseName })));
    const names = results.flatMap((r) => (r.mode === 'claim' ? r.names : []));
    expect(results.flatMap((r) => r.failed)).toEqual([]);
    expect(names).toHaveLength(40);
    expect(new Set(names).size).toBe(40);
    expect(names.filter((n) => n === baseName)).toHaveLength(1);
    for (const n of names) if (n !== baseName) expect(n).toMatch(/^live\/jt1078-295696659617-1-\d{13}$/);
    const listed = await registry.list();
    expect(listed.map((e) => e.name).sort()).toEqual([...names].sort());
    // Each name is owned by the connection that was told it got it.
    expect(new Set(listed.map((e) => e.connectionId)).size).toBe(40);
  }, 30_000);
});
