/** One contract for the registry: in-process and Redis (real server, unique key prefix), plus Redis connection faults. */
import { MalformedSegmentCursor } from '@jt1078/numbering';
import { afterAll, describe, expect, it } from 'vitest';
import { redisUrl, startRedisServer, uniquePrefix, type LocalServer } from '../../../test/support/services.js';
import { MemoryStreamRegistry } from './memory-stream-registry.js';
import { RedisKeyspace, connectRedis } from './redis-connection.js';
import { RedisStreamRegistry } from './redis-stream-registry.js';
import type { StreamOwner, StreamRegistry } from './stream-registry.js';

const owner = (connectionId: string, pod = 'pod-a', meta?: Record<string, unknown>): StreamOwner => ({
  pod, connectionId, sim: '295696659617', channel: 1, kind: 'live', startTime: '2025-07-13 18:58:15',
  joinBody: { streamPath: 'live/jt1078-295696659617-1', sim: '295696659617', channel: 1, startTime: '2025-07-13 18:58:15' },
  ...(meta ? { meta } : {}),
});

const clock = 1_700_000_000_000;
const now = () => clock;
const made: StreamRegistry[] = [];
const servers: LocalServer[] = [];
afterAll(async () => {
  for (const r of made) {
    if (r instanceof RedisStreamRegistry) await r.clear().catch(() => undefined);
    await r.close();
  }
  for (const s of servers) await s.stop();
});

const HARNESSES: Array<{ name: string; make: (prefix: string) => Promise<StreamRegistry> }> = [
  { name: 'MemoryStreamRegistry', make: async () => new MemoryStreamRegistry(now) },
  { name: 'RedisStreamRegistry', make: async (prefix) => new RedisStreamRegistry(await redisUrl(), prefix, now) },
];

for (const h of HARNESSES) {
  describe(`${h.name} contract`, () => {
    const fresh = async (prefix = uniquePrefix('reg')) => {
      const r = await h.make(prefix);
      made.push(r);
      return r;
    };

    it('grants the base name, then `-<unix ms>` (+1 ms while taken) to later connections, and lists all', async () => {
      const r = await fresh();
      expect(await r.claim('live/jt1078-295696659617-1', owner('c1'), 10_000)).toBe('live/jt1078-295696659617-1');
      expect(await r.claim('live/jt1078-295696659617-1', owner('c2'), 10_000)).toBe(`live/jt1078-295696659617-1-${clock}`);
      expect(await r.claim('live/jt1078-295696659617-1', owner('c3'), 10_000)).toBe(`live/jt1078-295696659617-1-${clock + 1}`);
      const names = (await r.list()).map((e) => [e.name, e.connectionId]).sort();
      expect(names).toEqual([
        ['live/jt1078-295696659617-1', 'c1'],
        [`live/jt1078-295696659617-1-${clock}`, 'c2'],
        [`live/jt1078-295696659617-1-${clock + 1}`, 'c3'],
      ]);
    });

    it('gives the base name again once its holder released it', async () => {
      const r = await fresh();
      const first = await r.claim('live/jt1079-1-1', owner('c1'), 10_000);
      await r.release(first, 'c1');
      expect(await r.claim('live/jt1079-1-1', owner('c2'), 10_000)).toBe('live/jt1079-1-1');
    });

    it('hands the segment cursor a clean release leaves to the name\'s next connection, once', async () => {
      const r = await fresh();
      const name = await r.claim('live/jt1078-7-1', owner('c1'), 10_000);
      expect(await r.takeCursor(name)).toBeUndefined();
      // Only the owner's release leaves one.
      await r.release(name, 'intruder', { nextMsn: 1, discontinuity: 9 });
      await r.release(name, 'c1', { nextMsn: 1_764_582_000_130, discontinuity: 2 });
      expect(await r.claim('live/jt1078-7-1', owner('c2'), 10_000)).toBe(name);
      expect(await r.takeCursor(name)).toEqual({ nextMsn: 1_764_582_000_130, discontinuity: 2 });
      expect(await r.takeCursor(name)).toBeUndefined();
      // A release without a cursor leaves none.
      await r.release(name, 'c2');
      expect(await r.takeCursor(name)).toBeUndefined();
    });

    it('takes over a name whose holder\'s pod is dead (returning the old entry, never reaped), waits or suffixes for a live one', async () => {
      const r = await fresh();
      const base = 'live/jt1078-8-1';
      await r.markPodAlive('pod-a', 60_000);
      expect((await r.claimName(base, owner('c1', 'pod-a'), 10_000)).name).toBe(base);
      // pod-a is alive: another pod asked to wait gets no name; without waiting, a suffixed one.
      expect(await r.claimName(base, owner('c2', 'pod-b'), 10_000, { wait: true })).toEqual({ name: undefined, heldBy: 'pod-a' });
      expect((await r.claimName(base, owner('c3', 'pod-b'), 10_000)).name).toBe(`${base}-${clock}`);
      // A second connection on the holder's own pod is suffixed at once, even when asked to wait.
      expect((await r.claimName(base, owner('c4', 'pod-a'), 10_000, { wait: true })).name).toBe(`${base}-${clock + 1}`);

      // pod-z never marked itself alive (it was killed): its name is taken over at once.
      const other = 'live/jt1078-9-1';
      await r.claim(other, owner('z1', 'pod-z'), 10_000);
      await r.saveCursor(other, { nextMsn: 42, discontinuity: 0, video: true });
      const claim = await r.claimName(other, owner('b1', 'pod-b'), 10_000, { wait: true });
      expect(claim.name).toBe(other);
      expect(claim.takenOver).toMatchObject({ name: other, connectionId: 'z1', pod: 'pod-z', joinBody: owner('z1').joinBody });
      expect(await r.takeCursor(other)).toEqual({ nextMsn: 42, discontinuity: 0, video: true });
      expect((await r.list()).find((e) => e.name === other)?.connectionId).toBe('b1');
      // The old connection is never reaped (its leave was the claimer's to emit): only the new one, at its deadline.
      expect((await r.reapExpired(clock + 20_000)).filter((e) => e.name === other).map((e) => e.connectionId)).toEqual(['b1']);
    });

    it('fences renew and release by connection id', async () => {
      const r = await fresh();
      const name = await r.claim('live/jt1078-1-1', owner('c1'), 10_000);
      expect(await r.renew(name, owner('c1'), 10_000)).toBe(true);
      expect(await r.renew(name, owner('intruder'), 10_000)).toBe(false);
      await r.release(name, 'intruder');
      expect((await r.list()).map((e) => e.name)).toEqual([name]);
      await r.release(name, 'c1');
      expect(await r.list()).toEqual([]);
      // A heartbeat for an entry that is gone (a Redis restart lost it) puts it back.
      expect(await r.renew(name, owner('c1'), 10_000)).toBe(true);
      expect((await r.list()).map((e) => [e.name, e.connectionId])).toEqual([[name, 'c1']]);
    });

    it('stores what a renew says about the stream (codecs and size learnt after the claim)', async () => {
      const r = await fresh();
      const name = await r.claim('live/jt1078-5-1', owner('c1'), 10_000);
      expect((await r.list())[0]!.meta).toBeUndefined();
      await r.renew(name, owner('c1', 'pod-a', { video: 'h264', width: 720, height: 576, audio: 'g711a' }), 10_000);
      expect(await r.list()).toEqual([{ ...owner('c1', 'pod-a', { video: 'h264', width: 720, height: 576, audio: 'g711a' }), name }]);
    });

    it('reaps an expired entry once, with its join body, and only after its deadline', async () => {
      const r = await fresh();
      const name = await r.claim('live/jt1078-2-1', owner('c9', 'pod-dead'), 5_000);
      expect(await r.reapExpired(clock + 4_999)).toEqual([]);
      const reaped = await r.reapExpired(clock + 5_000);
      expect(reaped).toEqual([{ ...owner('c9', 'pod-dead'), name }]);
      expect(await r.reapExpired(clock + 60_000)).toEqual([]);
      expect(await r.list()).toEqual([]);
    });

    it('reaps more expired entries than one script batch in one call', async () => {
      const r = await fresh();
      const names = new Set<string>();
      for (let i = 0; i < 250; i++) names.add(await r.claim(`live/jt1078-${i}-1`, owner(`c${i}`), 1_000));
      const reaped = await r.reapExpired(clock + 1_000);
      expect(new Set(reaped.map((e) => e.name))).toEqual(names);
    });

    it('gives each expired entry to exactly one of many racing reapers, and distinct names to racing claims', async () => {
      const prefix = uniquePrefix('race');
      const pods = await Promise.all(Array.from({ length: 4 }, () => fresh(prefix)));
      // The in-process registry is one object per process: racing "pods" share it.
      const registries = h.name === 'MemoryStreamRegistry' ? pods.map(() => pods[0]!) : pods;
      const names = await Promise.all(Array.from({ length: 40 }, (_, i) => registries[i % 4]!.claim('live/jt1078-3-1', owner(`c${i}`), 1_000)));
      expect(new Set(names).size).toBe(40);
      const reaped = (await Promise.all(registries.map((p) => p.reapExpired(clock + 2_000)))).flat();
      expect(reaped.map((e) => e.name).sort()).toEqual([...names].sort());
    });
  });
}

describe('RedisStreamRegistry and its Redis connection', () => {
  it('keeps working after its connection is killed (CLIENT KILL)', async () => {
    const r = new RedisStreamRegistry(await redisUrl(), uniquePrefix('kill'), now);
    made.push(r);
    await r.claim('live/jt1078-4-1', owner('c1'), 10_000);
    const id = await r.redis.client('ID');
    const admin = connectRedis(await redisUrl());
    try {
      expect(await admin.client('KILL', 'ID', String(id))).toBe(1);
    } finally {
      admin.disconnect();
    }
    expect(await r.renew('live/jt1078-4-1', owner('c1'), 10_000)).toBe(true);
    expect(await r.redis.client('ID')).not.toBe(id);
  });

  it('refuses a stored cursor it did not write (checked, not cast), and removes it', async () => {
    const prefix = uniquePrefix('cursor');
    const r = new RedisStreamRegistry(await redisUrl(), prefix, now);
    made.push(r);
    const name = 'live/jt1078-7-1';
    await r.redis.set(new RedisKeyspace(prefix).key('cursor', name), '{"nextMsn":"12","discontinuity":0}');
    await expect(r.takeCursor(name)).rejects.toBeInstanceOf(MalformedSegmentCursor);
    expect(await r.takeCursor(name)).toBeUndefined();
  });

  it('survives a Redis restart that lost its data and its scripts (NOSCRIPT): heartbeats re-register the streams', async () => {
    const server = await startRedisServer();
    servers.push(server);
    const r = new RedisStreamRegistry(server.url, uniquePrefix('restart'), now);
    made.push(r);
    const name = await r.claim('live/jt1078-6-1', owner('c1'), 10_000);
    await server.stop();
    await server.start();
    // The restarted Redis knows no script: ioredis' EVALSHA gets NOSCRIPT and sends the script again.
    expect(await r.redis.script('FLUSH')).toBe('OK');
    expect(await r.list()).toEqual([]);
    expect(await r.renew(name, owner('c1'), 10_000)).toBe(true);
    expect((await r.list()).map((e) => [e.name, e.connectionId])).toEqual([[name, 'c1']]);
    expect(await r.claim('live/jt1078-6-1', owner('c2'), 10_000)).toBe(`live/jt1078-6-1-${clock}`);
  }, 20_000);
});
