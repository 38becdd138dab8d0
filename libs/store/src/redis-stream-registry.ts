/**
 * StreamRegistry on Redis. Each decision is one Lua script, so it is atomic across pods:
 *
 *   {prefix}:stream:<name>   hash  owner (JSON of StreamOwner), conn (connection id)
 *   {prefix}:deadlines       zset  name → heartbeat deadline (unix ms)
 *   {prefix}:cursor:<name>   string SegmentCursor (JSON) written at every segment mark and by a clean release; PEXPIRE CURSOR_TTL_MS
 *   {prefix}:pod:<pod>       string a pod's liveness, PEXPIRE POD_LIVENESS_TTL_MS, renewed by the pod
 *
 * Expiry is not Redis TTL: an entry must outlive its deadline until a reaper takes it, because
 * the reaper needs the join body to emit the leave; REAP removes and returns in one script, so
 * of many pods reaping at once exactly one gets each entry. Deadlines are the pods' clocks
 * (NTP-synced in a cluster), passed in, so tests can drive time.
 */
import { segmentCursorFromText, segmentCursorText, type SegmentCursor } from '@jt1078/numbering';
import type { Redis } from 'ioredis';
import { RedisKeyspace, connectRedis } from './redis-connection.js';
import { redisCall } from './store-unavailable.js';
import { CURSOR_TTL_MS, type NameClaim, type StreamEntry, type StreamOwner, type StreamRegistry } from './stream-registry.js';

/** Entries one REAP call removes; reapExpired loops, so this only bounds one script's run time. */
const REAP_BATCH = 100;
/** Batches per reapExpired call: beyond 10 000 expired entries at once, the next tick takes the rest. */
const REAP_MAX_BATCHES = 100;

const CLAIM = `
local tag, base, owner, conn, deadline, now = KEYS[1], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local name = base
local i = 0
while redis.call('EXISTS', tag .. ':stream:' .. name) == 1 do
  name = base .. '-' .. string.format('%d', now + i)
  i = i + 1
end
redis.call('HSET', tag .. ':stream:' .. name, 'owner', owner, 'conn', conn)
redis.call('ZADD', tag .. ':deadlines', deadline, name)
return name`;

/**
 * CLAIM, except that a base name held by a connection of a dead pod (no liveness key) is taken
 * over, and with ARGV[8] = '1' a base name held on another live pod is left alone (the caller
 * asks again). Returns {name or '', taken-over owner JSON or '', holder pod or ''}.
 */
const CLAIM_NAME = `
local tag, base, owner, conn, deadline, now, pod, wait = KEYS[1], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], ARGV[7]
local key = tag .. ':stream:' .. base
local held = redis.call('HGET', key, 'owner')
local name = base
local taken = ''
local heldBy = ''
if held then
  local ok, decoded = pcall(cjson.decode, held)
  heldBy = (ok and type(decoded) == 'table' and decoded.pod) or ''
  if heldBy ~= pod and redis.call('EXISTS', tag .. ':pod:' .. heldBy) == 0 then
    taken = held
  elseif wait == '1' and heldBy ~= pod then
    return {'', '', heldBy}
  else
    local i = 0
    while redis.call('EXISTS', tag .. ':stream:' .. name) == 1 do
      name = base .. '-' .. string.format('%d', now + i)
      i = i + 1
    end
  end
end
redis.call('HSET', tag .. ':stream:' .. name, 'owner', owner, 'conn', conn)
redis.call('ZADD', tag .. ':deadlines', deadline, name)
return {name, taken, heldBy}`;

const RENEW = `
local key = KEYS[1] .. ':stream:' .. ARGV[1]
local conn = redis.call('HGET', key, 'conn')
if conn and conn ~= ARGV[2] then return 0 end
redis.call('HSET', key, 'owner', ARGV[4], 'conn', ARGV[2])
redis.call('ZADD', KEYS[1] .. ':deadlines', tonumber(ARGV[3]), ARGV[1])
return 1`;

const RELEASE = `
local key = KEYS[1] .. ':stream:' .. ARGV[1]
if redis.call('HGET', key, 'conn') ~= ARGV[2] then return 0 end
redis.call('DEL', key)
redis.call('ZREM', KEYS[1] .. ':deadlines', ARGV[1])
if ARGV[3] ~= '' then redis.call('SET', KEYS[1] .. ':cursor:' .. ARGV[1], ARGV[3], 'PX', tonumber(ARGV[4])) end
return 1`;

const REAP = `
local names = redis.call('ZRANGEBYSCORE', KEYS[1] .. ':deadlines', '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
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
  jtRegClaim(tag: string, base: string, owner: string, conn: string, deadline: string, now: string): Promise<string>;
  jtRegClaimName(tag: string, base: string, owner: string, conn: string, deadline: string, now: string, pod: string, wait: string): Promise<[string, string, string]>;
  jtRegRenew(tag: string, name: string, conn: string, deadline: string, owner: string): Promise<number>;
  jtRegRelease(tag: string, name: string, conn: string, cursor: string, cursorTtl: string): Promise<number>;
  jtRegReap(tag: string, now: string, limit: string): Promise<string[]>;
};

export class RedisStreamRegistry implements StreamRegistry {
  readonly #redis: RegistryRedis;
  readonly #keys: RedisKeyspace;
  readonly #ownsConnection: boolean;

  /**
   * `redis`: a URL (the registry opens and closes its own connection) or a connection shared
   * with other stores. `prefix` namespaces every key (deployments and tests sharing a Redis).
   */
  constructor(redis: string | Redis, prefix = 'jt1078', private readonly now: () => number = Date.now) {
    this.#keys = new RedisKeyspace(prefix);
    this.#ownsConnection = typeof redis === 'string';
    this.#redis = (typeof redis === 'string' ? connectRedis(redis, { name: `jt1078-registry-${prefix}` }) : redis) as RegistryRedis;
    this.#redis.defineCommand('jtRegClaim', { numberOfKeys: 1, lua: CLAIM });
    this.#redis.defineCommand('jtRegClaimName', { numberOfKeys: 1, lua: CLAIM_NAME });
    this.#redis.defineCommand('jtRegRenew', { numberOfKeys: 1, lua: RENEW });
    this.#redis.defineCommand('jtRegRelease', { numberOfKeys: 1, lua: RELEASE });
    this.#redis.defineCommand('jtRegReap', { numberOfKeys: 1, lua: REAP });
  }

  get redis(): Redis {
    return this.#redis;
  }

  async claim(baseName: string, owner: StreamOwner, ttlMs: number): Promise<string> {
    const now = this.now();
    return this.#redis.jtRegClaim(this.#keys.tag, baseName, JSON.stringify(owner), owner.connectionId, String(now + ttlMs), String(now));
  }

  async claimName(baseName: string, owner: StreamOwner, ttlMs: number, opts: { readonly wait?: boolean } = {}): Promise<NameClaim> {
    const now = this.now();
    const [name, taken, heldBy] = await this.#redis.jtRegClaimName(this.#keys.tag, baseName, JSON.stringify(owner), owner.connectionId, String(now + ttlMs), String(now), owner.pod, opts.wait ? '1' : '0');
    return {
      name: name === '' ? undefined : name,
      ...(taken ? { takenOver: { ...(JSON.parse(taken) as StreamOwner), name: baseName } } : {}),
      ...(heldBy ? { heldBy } : {}),
    };
  }

  async markPodAlive(pod: string, ttlMs: number): Promise<void> {
    await this.#redis.set(this.#keys.key('pod', pod), '1', 'PX', ttlMs);
  }

  async saveCursor(name: string, cursor: SegmentCursor): Promise<void> {
    await this.#redis.set(this.#keys.key('cursor', name), segmentCursorText(cursor), 'PX', CURSOR_TTL_MS);
  }

  async renew(name: string, owner: StreamOwner, ttlMs: number): Promise<boolean> {
    return (await this.#redis.jtRegRenew(this.#keys.tag, name, owner.connectionId, String(this.now() + ttlMs), JSON.stringify(owner))) === 1;
  }

  async release(name: string, connectionId: string, cursor?: SegmentCursor): Promise<void> {
    await this.#redis.jtRegRelease(this.#keys.tag, name, connectionId, cursor ? segmentCursorText(cursor) : '', String(CURSOR_TTL_MS));
  }

  async takeCursor(name: string): Promise<SegmentCursor | undefined> {
    const text = await this.#redis.getdel(this.#keys.key('cursor', name));
    // Checked, not cast: a bad value throws MalformedSegmentCursor, and the claimer numbers afresh.
    return text === null ? undefined : segmentCursorFromText(text);
  }

  async list(): Promise<StreamEntry[]> {
    const names = await redisCall('stream list', () => this.#redis.zrange(this.#keys.key('deadlines'), '0', '-1'));
    if (names.length === 0) return [];
    const owners = await redisCall('stream list', () => this.#redis.pipeline(names.map((n) => ['hget', this.#keys.key('stream', n), 'owner'])).exec());
    const out: StreamEntry[] = [];
    (owners ?? []).forEach(([err, owner], i) => {
      // An entry released between ZRANGE and HGET is simply gone.
      if (!err && typeof owner === 'string') out.push({ ...(JSON.parse(owner) as StreamOwner), name: names[i]! });
    });
    return out;
  }

  async reapExpired(nowMs = this.now()): Promise<StreamEntry[]> {
    const out: StreamEntry[] = [];
    for (let batch = 0; batch < REAP_MAX_BATCHES; batch++) {
      const flat = await this.#redis.jtRegReap(this.#keys.tag, String(nowMs), String(REAP_BATCH));
      for (let i = 0; i + 1 < flat.length; i += 2) out.push({ ...(JSON.parse(flat[i + 1]!) as StreamOwner), name: flat[i]! });
      if (flat.length < REAP_BATCH * 2) break;
    }
    return out;
  }

  /** Deletes every key under the prefix (tests clean up after themselves). */
  async clear(): Promise<void> {
    await this.#keys.clear(this.#redis);
  }

  async close(): Promise<void> {
    if (this.#ownsConnection) this.#redis.disconnect();
  }
}
