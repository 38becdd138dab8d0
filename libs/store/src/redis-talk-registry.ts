/**
 * TalkRegistry on Redis, beside the port leases:
 *
 *   {prefix}:talk:<connectionId>   string  the TalkEntry (JSON)
 *   {prefix}:talk-deadlines        zset    connectionId → deadline (ms, Redis server time)
 *   {prefix}:talk-reaped:<id>      string  a reaper took it (PX REAPED_MEMORY_MS)
 *
 * Deadlines are read from TIME inside the scripts, like the leases' expiry, so the pods' clocks
 * play no part. REAP removes and returns in one script: of several intercoms reaping at once,
 * exactly one gets each expired talk and emits its leave.
 */
import type { Redis } from 'ioredis';
import { RedisKeyspace, connectRedis } from './redis-connection.js';
import { redisCall } from './store-unavailable.js';
import { REAPED_MEMORY_MS, type TalkEntry, type TalkRegistry, type TalkState } from './talk-registry.js';

const NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

const OPEN = `
${NOW_MS}
redis.call('SET', KEYS[1] .. ':talk:' .. ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[1] .. ':talk-deadlines', now + tonumber(ARGV[3]), ARGV[1])
return 1`;

/** 1 held (renewed), 2 reaped, 0 missing. */
const RENEW = `
${NOW_MS}
local z = KEYS[1] .. ':talk-deadlines'
if not redis.call('ZSCORE', z, ARGV[1]) then
  if redis.call('EXISTS', KEYS[1] .. ':talk-reaped:' .. ARGV[1]) == 1 then return 2 end
  return 0
end
redis.call('ZADD', z, now + tonumber(ARGV[2]), ARGV[1])
return 1`;

/** 1 held (removed now), 2 reaped, 0 missing. */
const FINISH = `
redis.call('DEL', KEYS[1] .. ':talk:' .. ARGV[1])
if redis.call('ZREM', KEYS[1] .. ':talk-deadlines', ARGV[1]) == 1 then return 1 end
if redis.call('DEL', KEYS[1] .. ':talk-reaped:' .. ARGV[1]) == 1 then return 2 end
return 0`;

const REAP = `
${NOW_MS}
local ids = redis.call('ZRANGEBYSCORE', KEYS[1] .. ':talk-deadlines', '-inf', now, 'LIMIT', 0, 100)
local out = {}
for _, id in ipairs(ids) do
  local key = KEYS[1] .. ':talk:' .. id
  local entry = redis.call('GET', key)
  redis.call('DEL', key)
  redis.call('ZREM', KEYS[1] .. ':talk-deadlines', id)
  redis.call('SET', KEYS[1] .. ':talk-reaped:' .. id, '1', 'PX', tonumber(ARGV[1]))
  if entry then table.insert(out, entry) end
end
return out`;

const STATES: readonly TalkState[] = ['missing', 'held', 'reaped'];

type TalkRedis = Redis & {
  jtTalkOpen(tag: string, id: string, entry: string, ttl: string): Promise<number>;
  jtTalkRenew(tag: string, id: string, ttl: string): Promise<number>;
  jtTalkFinish(tag: string, id: string): Promise<number>;
  jtTalkReap(tag: string, reapedMemoryMs: string): Promise<string[]>;
};

export class RedisTalkRegistry implements TalkRegistry {
  readonly #redis: TalkRedis;
  readonly #keys: RedisKeyspace;
  readonly #ownsConnection: boolean;

  /** `redis`: a URL (own connection) or a connection shared with the lease store. */
  constructor(redis: string | Redis, prefix = 'jt1078') {
    this.#keys = new RedisKeyspace(prefix);
    this.#ownsConnection = typeof redis === 'string';
    this.#redis = (typeof redis === 'string' ? connectRedis(redis, { name: `jt1078-talks-${prefix}` }) : redis) as TalkRedis;
    this.#redis.defineCommand('jtTalkOpen', { numberOfKeys: 1, lua: OPEN });
    this.#redis.defineCommand('jtTalkRenew', { numberOfKeys: 1, lua: RENEW });
    this.#redis.defineCommand('jtTalkFinish', { numberOfKeys: 1, lua: FINISH });
    this.#redis.defineCommand('jtTalkReap', { numberOfKeys: 1, lua: REAP });
  }

  async open(entry: TalkEntry, ttlMs: number): Promise<void> {
    await redisCall('talk open', () => this.#redis.jtTalkOpen(this.#keys.tag, entry.connectionId, JSON.stringify(entry), String(ttlMs)));
  }

  async renew(connectionId: string, ttlMs: number): Promise<TalkState> {
    return STATES[await redisCall('talk renew', () => this.#redis.jtTalkRenew(this.#keys.tag, connectionId, String(ttlMs)))] ?? 'missing';
  }

  async finish(connectionId: string): Promise<TalkState> {
    return STATES[await redisCall('talk finish', () => this.#redis.jtTalkFinish(this.#keys.tag, connectionId))] ?? 'missing';
  }

  async reapExpired(): Promise<TalkEntry[]> {
    const raw = await redisCall('talk reap', () => this.#redis.jtTalkReap(this.#keys.tag, String(REAPED_MEMORY_MS)));
    return raw.map((text) => JSON.parse(text) as TalkEntry);
  }

  async clear(): Promise<void> {
    await this.#keys.clear(this.#redis);
  }

  async close(): Promise<void> {
    if (this.#ownsConnection) this.#redis.disconnect();
  }
}
