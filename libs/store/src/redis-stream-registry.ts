/**
 * StreamRegistry on Redis. Each decision is one Lua script, so it is atomic across pods: a hash
 * per stream (its owner) and a sorted set of heartbeat deadlines. Expiry is not Redis TTL: the
 * entry must outlive its deadline until a reaper takes it, because the reaper needs the join
 * body to emit the leave.
 */
import { Redis } from 'ioredis';
import type { StreamEntry, StreamOwner, StreamRegistry } from './stream-registry.js';

const CLAIM = `
local prefix, base, owner, conn, deadline, now = KEYS[1], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local name = base
if redis.call('EXISTS', prefix .. ':stream:' .. name) == 1 then
  name = base .. '-' .. now
  local i = 1
  while redis.call('EXISTS', prefix .. ':stream:' .. name) == 1 do
    name = base .. '-' .. (now + i)
    i = i + 1
  end
end
redis.call('HSET', prefix .. ':stream:' .. name, 'owner', owner, 'conn', conn)
redis.call('ZADD', prefix .. ':deadlines', deadline, name)
return name`;

const RENEW = `
local key = KEYS[1] .. ':stream:' .. ARGV[1]
local conn = redis.call('HGET', key, 'conn')
if conn == false then
  redis.call('HSET', key, 'owner', ARGV[4], 'conn', ARGV[2])
elseif conn ~= ARGV[2] then
  return 0
end
redis.call('ZADD', KEYS[1] .. ':deadlines', tonumber(ARGV[3]), ARGV[1])
return 1`;

const RELEASE = `
local key = KEYS[1] .. ':stream:' .. ARGV[1]
if redis.call('HGET', key, 'conn') ~= ARGV[2] then return 0 end
redis.call('DEL', key)
redis.call('ZREM', KEYS[1] .. ':deadlines', ARGV[1])
return 1`;

const REAP = `
local names = redis.call('ZRANGEBYSCORE', KEYS[1] .. ':deadlines', '-inf', ARGV[1], 'LIMIT', 0, 100)
local out = {}
for _, name in ipairs(names) do
  local key = KEYS[1] .. ':stream:' .. name
  local owner = redis.call('HGET', key, 'owner')
  redis.call('DEL', key)
  redis.call('ZREM', KEYS[1] .. ':deadlines', name)
  if owner then
    table.insert(out, name)
    table.insert(out, owner)
  end
end
return out`;

type RegistryRedis = Redis & {
  jtClaim(prefix: string, base: string, owner: string, conn: string, deadline: string, now: string): Promise<string>;
  jtRenew(prefix: string, name: string, conn: string, deadline: string, owner: string): Promise<number>;
  jtRelease(prefix: string, name: string, conn: string): Promise<number>;
  jtReap(prefix: string, now: string): Promise<string[]>;
};

export class RedisStreamRegistry implements StreamRegistry {
  readonly #redis: RegistryRedis;

  /** `prefix` namespaces every key (tests and deployments sharing a Redis). */
  constructor(url: string, private readonly prefix = 'jt1078', private readonly now: () => number = Date.now) {
    // ioredis reconnects by itself and re-sends EVALSHA as EVAL when a restarted Redis lost its scripts.
    this.#redis = new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: false }) as RegistryRedis;
    this.#redis.on('error', () => {}); // reported through failing commands, which callers count
    this.#redis.defineCommand('jtClaim', { numberOfKeys: 1, lua: CLAIM });
    this.#redis.defineCommand('jtRenew', { numberOfKeys: 1, lua: RENEW });
    this.#redis.defineCommand('jtRelease', { numberOfKeys: 1, lua: RELEASE });
    this.#redis.defineCommand('jtReap', { numberOfKeys: 1, lua: REAP });
  }

  get redis(): Redis {
    return this.#redis;
  }

  async claim(baseName: string, owner: StreamOwner, ttlMs: number): Promise<string> {
    const now = this.now();
    return this.#redis.jtClaim(this.prefix, baseName, JSON.stringify(owner), owner.connectionId, String(now + ttlMs), String(now));
  }

  async renew(name: string, owner: StreamOwner, ttlMs: number): Promise<boolean> {
    return (await this.#redis.jtRenew(this.prefix, name, owner.connectionId, String(this.now() + ttlMs), JSON.stringify(owner))) === 1;
  }

  async release(name: string, connectionId: string): Promise<void> {
    await this.#redis.jtRelease(this.prefix, name, connectionId);
  }

  async list(): Promise<StreamEntry[]> {
    const names = await this.#redis.zrange(`${this.prefix}:deadlines`, '0', '-1');
    if (names.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const n of names) pipeline.hget(`${this.prefix}:stream:${n}`, 'owner');
    const results = (await pipeline.exec()) ?? [];
    const out: StreamEntry[] = [];
    results.forEach(([err, owner], i) => {
      if (!err && typeof owner === 'string') out.push({ ...(JSON.parse(owner) as StreamOwner), name: names[i]! });
    });
    return out;
  }

  async reapExpired(nowMs = this.now()): Promise<StreamEntry[]> {
    const flat = await this.#redis.jtReap(this.prefix, String(nowMs));
    const out: StreamEntry[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ ...(JSON.parse(flat[i + 1]!) as StreamOwner), name: flat[i]! });
    return out;
  }

  /** Deletes every key under the prefix (tests clean up after themselves). */
  async clear(): Promise<void> {
    const keys = await this.#redis.keys(`${this.prefix}:*`);
    if (keys.length > 0) await this.#redis.del(...keys);
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
  }
}
