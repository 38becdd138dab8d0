/** One contract for port leases: in-process and Redis (real server, unique key prefix). */
import { afterAll, describe, expect, it } from 'vitest';
import { redisUrl, uniquePrefix } from '../../../test/support/services.js';
import { MemoryPortLeaseStore } from './memory-port-lease-store.js';
import { InvalidLeaseRequest, LeaseUnavailable, StaleLease, type PortLeaseStore } from './port-lease-store.js';
import { connectRedis } from './redis-connection.js';
import { RedisPortLeaseStore } from './redis-port-lease-store.js';

const made: PortLeaseStore[] = [];
afterAll(async () => {
  for (const s of made) {
    if (s instanceof RedisPortLeaseStore) await s.clear();
    await s.close();
  }
});

const HARNESSES: Array<{ name: string; make: () => Promise<PortLeaseStore> }> = [
  { name: 'MemoryPortLeaseStore', make: async () => new MemoryPortLeaseStore() },
  { name: 'RedisPortLeaseStore', make: async () => new RedisPortLeaseStore(await redisUrl(), uniquePrefix('lease')) },
];

const RANGE = [12021, 12023] as const;
const opts = (ttlMs = 10_000, holder = 'intercom-0') => ({ ports: RANGE, ttlMs, holder });
const target = (channel = 1) => ({ sim: '013800138000', channel });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function stale(p: Promise<unknown>): Promise<StaleLease> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(StaleLease);
  return err as StaleLease;
}

for (const h of HARNESSES) {
  describe(`${h.name} contract`, () => {
    const fresh = async () => {
      const s = await h.make();
      made.push(s);
      return s;
    };

    it('grants the lowest free port with a growing fencing token, and says who holds it', async () => {
      const s = await fresh();
      const before = Date.now();
      const a = await s.acquire(target(1), opts());
      const b = await s.acquire(target(2), opts(10_000, 'intercom-1'));
      expect([a.port, b.port]).toEqual([12021, 12022]);
      expect(b.token).toBeGreaterThan(a.token);
      expect(a).toMatchObject({ sim: '013800138000', channel: 1, holder: 'intercom-0' });
      expect(a.expiresAt).toBeGreaterThanOrEqual(before + 10_000 - 50);
      expect(a.expiresAt).toBeLessThanOrEqual(Date.now() + 10_000 + 50);
      expect(await s.get(12022)).toEqual(b);
      expect(await s.get(12023)).toBeUndefined();
      expect(await s.list(RANGE)).toEqual([a, b]);
      await s.release(a.port, a.token);
      // The lowest port is free again: it is the next one granted.
      const c = await s.acquire(target(3), opts());
      expect(c.port).toBe(12021);
      expect(c.token).toBeGreaterThan(b.token);
    });

    it('refuses with LeaseUnavailable (no-free-port) when every port is held', async () => {
      const s = await fresh();
      for (let i = 0; i < 3; i++) await s.acquire(target(i), opts());
      const err = await s.acquire(target(9), opts()).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(LeaseUnavailable);
      expect(err).toMatchObject({ name: 'LeaseUnavailable', kind: 'lease-unavailable', reason: 'no-free-port', ports: RANGE, target: target(9) });
    });

    it('fences renew, validate and release by token', async () => {
      const s = await fresh();
      const a = await s.acquire(target(), opts());
      expect(await s.validate(a.port, a.token)).toEqual(a);
      const renewed = await s.renew(a.port, a.token, 20_000);
      expect(renewed).toMatchObject({ port: a.port, token: a.token, sim: a.sim, channel: a.channel, holder: a.holder });
      expect(renewed.expiresAt).toBeGreaterThan(a.expiresAt);
      expect(await s.get(a.port)).toEqual(renewed);
      expect(await stale(s.validate(a.port, a.token + 1000))).toMatchObject({ reason: 'superseded', currentToken: a.token, port: a.port });
      expect(await s.release(a.port, a.token + 1000)).toBe(false);
      expect(await s.get(a.port)).toEqual(renewed);
      expect(await s.release(a.port, a.token)).toBe(true);
      expect(await s.release(a.port, a.token)).toBe(false);
      expect(await stale(s.validate(a.port, a.token))).toMatchObject({ reason: 'not-held', kind: 'stale-lease' });
      expect(await stale(s.renew(a.port, a.token, 10_000))).toMatchObject({ reason: 'not-held' });
    });

    it('frees an expired lease for the next acquire and refuses the stale holder', async () => {
      const s = await fresh();
      const old = await s.acquire(target(1), opts(150));
      await sleep(250);
      expect(await s.get(old.port)).toBeUndefined();
      const next = await s.acquire(target(2), opts());
      expect(next.port).toBe(old.port);
      expect(next.token).toBeGreaterThan(old.token);
      expect(await stale(s.validate(old.port, old.token))).toMatchObject({ reason: 'superseded', currentToken: next.token });
      expect(await stale(s.renew(old.port, old.token, 10_000))).toMatchObject({ reason: 'superseded' });
      expect(await s.release(old.port, old.token)).toBe(false);
      expect(await s.validate(next.port, next.token)).toEqual(next);
    });

    it('keeps a renewed lease past its first ttl', async () => {
      const s = await fresh();
      const a = await s.acquire(target(), opts(200));
      await sleep(120);
      await s.renew(a.port, a.token, 400);
      await sleep(150);
      expect((await s.validate(a.port, a.token)).token).toBe(a.token);
    });

    it('refuses nonsense before touching the store', async () => {
      const s = await fresh();
      await expect(s.acquire({ sim: '13.8', channel: 1 }, opts())).rejects.toThrow(InvalidLeaseRequest);
      await expect(s.acquire(target(256), opts())).rejects.toThrow(InvalidLeaseRequest);
      await expect(s.acquire(target(), { ...opts(), ports: [12050, 12021] })).rejects.toThrow(InvalidLeaseRequest);
      await expect(s.acquire(target(), { ...opts(), ports: [1, 70_000] })).rejects.toThrow(InvalidLeaseRequest);
      await expect(s.acquire(target(), opts(0))).rejects.toThrow(InvalidLeaseRequest);
      await expect(s.get(0)).rejects.toThrow(InvalidLeaseRequest);
      expect(await s.list(RANGE)).toEqual([]);
    });
  });
}

describe('RedisPortLeaseStore and its Redis connection', () => {
  it('keeps working after its connection is killed (CLIENT KILL)', async () => {
    const s = new RedisPortLeaseStore(await redisUrl(), uniquePrefix('leasekill'));
    made.push(s);
    const a = await s.acquire(target(), opts());
    const admin = connectRedis(await redisUrl());
    try {
      expect(await admin.client('KILL', 'ID', String(await s.redis.client('ID')))).toBe(1);
    } finally {
      admin.disconnect();
    }
    expect((await s.renew(a.port, a.token, 10_000)).token).toBe(a.token);
    expect((await s.acquire(target(2), opts())).port).toBe(12022);
  });

  it('shares one connection between stores when given one, and leaves closing it to the owner', async () => {
    const redis = connectRedis(await redisUrl());
    const s = new RedisPortLeaseStore(redis, uniquePrefix('leaseshared'));
    const a = await s.acquire(target(), opts());
    expect(await s.get(a.port)).toEqual(a);
    await s.clear();
    expect(await s.get(a.port)).toBeUndefined();
    await s.close();
    expect(await redis.ping()).toBe('PONG');
    redis.disconnect();
  });
});
