/** One contract for the registry: in-process and Redis (real server, unique key prefix). */
import { afterAll, describe, expect, it } from 'vitest';
import { redisUrl, uniquePrefix } from '../../../test/support/services.js';
import { MemoryStreamRegistry } from './memory-stream-registry.js';
import { RedisStreamRegistry } from './redis-stream-registry.js';
import type { StreamOwner, StreamRegistry } from './stream-registry.js';

const owner = (connectionId: string, pod = 'pod-a'): StreamOwner => ({
  pod, connectionId, sim: '295696659617', channel: 1, kind: 'live', startTime: '2025-07-13 18:58:15',
  joinBody: { streamPath: 'live/jt1078-295696659617-1', sim: '295696659617', channel: 1, startTime: '2025-07-13 18:58:15' },
});

const clock = 1_700_000_000_000;
const now = () => clock;
const made: StreamRegistry[] = [];
afterAll(async () => {
  for (const r of made) {
    if (r instanceof RedisStreamRegistry) await r.clear();
    await r.close();
  }
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

    it('grants the base name, then `-<unix ms>` to a second connection, and lists both', async () => {
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

    it('reaps an expired entry once, with its join body, and only after its deadline', async () => {
      const r = await fresh();
      const name = await r.claim('live/jt1078-2-1', owner('c9', 'pod-dead'), 5_000);
      expect(await r.reapExpired(clock + 4_999)).toEqual([]);
      const reaped = await r.reapExpired(clock + 5_000);
      expect(reaped).toEqual([{ ...owner('c9', 'pod-dead'), name }]);
      expect(await r.reapExpired(clock + 60_000)).toEqual([]);
      expect(await r.list()).toEqual([]);
    });

    if (h.name === 'RedisStreamRegistry') {
      it('gives each expired entry to exactly one of many racing reapers, and distinct names to racing claims', async () => {
        const prefix = uniquePrefix('race');
        const pods = await Promise.all(Array.from({ length: 4 }, () => fresh(prefix)));
        const names = await Promise.all(Array.from({ length: 40 }, (_, i) => pods[i % 4]!.claim('live/jt1078-3-1', owner(`c${i}`), 1_000)));
        expect(new Set(names).size).toBe(40);
        const reaped = (await Promise.all(pods.map((p) => p.reapExpired(clock + 2_000)))).flat();
        expect(reaped.map((e) => e.name).sort()).toEqual([...names].sort());
      });

      it('keeps working after its connection is killed', async () => {
        const r = (await fresh()) as RedisStreamRegistry;
        await r.claim('live/jt1078-4-1', owner('c1'), 10_000);
        const id = await r.redis.client('ID');
        const admin = new RedisStreamRegistry(await redisUrl(), uniquePrefix('admin'));
        made.push(admin);
        await admin.redis.client('KILL', 'ID', String(id));
        expect(await r.renew('live/jt1078-4-1', owner('c1'), 10_000)).toBe(true);
      });
    }
  });
}
