/**
 * PortLeaseStore on Redis:
 *
 *   {prefix}:lease:<port>   hash  sim, channel, holder, token, expiresAt; PEXPIRE = the lease
 *   {prefix}:lease-token    counter (INCR): the fencing token of the last grant
 *
 * ACQUIRE walks the range from the lowest port inside one Lua script, so two pods can never be
 * granted one port, and the first free port is the one granted. Expiry is Redis' own key
 * expiry, timed by the Redis server's clock (TIME inside the script gives `expiresAt`): the
 * pods' clocks play no part, and an expired port is free for the next ACQUIRE with nothing to
 * clean up. RENEW and RELEASE compare the token inside their script (check-and-act atomically);
 * VALIDATE and GET are single reads.
 */
import type { Redis } from 'ioredis';
import {
  LeaseUnavailable, StaleLease, checkPort, checkRange, checkTarget, checkTtl,
  type AcquireLeaseOptions, type PortLease, type PortLeaseStore, type PortLeaseTarget,
} from './port-lease-store.js';
import { RedisKeyspace, connectRedis } from './redis-connection.js';
import { StoreUnavailable, redisCall } from './store-unavailable.js';

/** Redis server time in ms (TIME: seconds and microseconds). Scripts are replicated by effects (Redis ≥ 5), so reading TIME is allowed. */
const NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

const ACQUIRE = `
${NOW_MS}
local tag, lo, hi, ttl = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
for port = lo, hi do
  local key = tag .. ':lease:' .. port
  if redis.call('EXISTS', key) == 0 then
    local token = redis.call('INCR', tag .. ':lease-token')
    redis.call('HSET', key, 'sim', ARGV[4], 'channel', ARGV[5], 'holder', ARGV[6], 'token', token, 'expiresAt', now + ttl)
    redis.call('PEXPIRE', key, ttl)
    return {port, token, now + ttl}
  end
end
return false`;

/** Returns {1, expiresAt, sim, channel, holder} when renewed, {0, currentToken|false} when the token does not hold the port. */
const RENEW = `
${NOW_MS}
local key = KEYS[1] .. ':lease:' .. ARGV[1]
local token = redis.call('HGET', key, 'token')
if token ~= ARGV[2] then return {0, token} end
local ttl = tonumber(ARGV[3])
redis.call('HSET', key, 'expiresAt', now + ttl)
redis.call('PEXPIRE', key, ttl)
local h = redis.call('HMGET', key, 'sim', 'channel', 'holder')
return {1, now + ttl, h[1], h[2], h[3]}`;

const RELEASE = `
local key = KEYS[1] .. ':lease:' .. ARGV[1]
if redis.call('HGET', key, 'token') ~= ARGV[2] then return 0 end
redis.call('DEL', key)
return 1`;

type LeaseRedis = Redis & {
  jtLeaseAcquire(tag: string, lo: string, hi: string, ttl: string, sim: string, channel: string, holder: string): Promise<[number, number, number] | null>;
  jtLeaseRenew(tag: string, port: string, token: string, ttl: string): Promise<[number, string | number | boolean | null, string?, string?, string?]>;
  jtLeaseRelease(tag: string, port: string, token: string): Promise<number>;
};

function leaseFrom(port: number, h: Record<string, string>): PortLease | undefined {
  if (h['token'] === undefined) return undefined;
  return { port, sim: h['sim']!, channel: Number(h['channel']), holder: h['holder']!, token: Number(h['token']), expiresAt: Number(h['expiresAt']) };
}

export class RedisPortLeaseStore implements PortLeaseStore {
  readonly #redis: LeaseRedis;
  readonly #keys: RedisKeyspace;
  readonly #ownsConnection: boolean;

  /** `redis`: a URL (own connection) or a connection shared with other stores; `prefix` namespaces the keys. */
  constructor(redis: string | Redis, prefix = 'jt1078') {
    this.#keys = new RedisKeyspace(prefix);
    this.#ownsConnection = typeof redis === 'string';
    this.#redis = (typeof redis === 'string' ? connectRedis(redis, { name: `jt1078-leases-${prefix}` }) : redis) as LeaseRedis;
    this.#redis.defineCommand('jtLeaseAcquire', { numberOfKeys: 1, lua: ACQUIRE });
    this.#redis.defineCommand('jtLeaseRenew', { numberOfKeys: 1, lua: RENEW });
    this.#redis.defineCommand('jtLeaseRelease', { numberOfKeys: 1, lua: RELEASE });
  }

  get redis(): Redis {
    return this.#redis;
  }

  async acquire(target: PortLeaseTarget, opts: AcquireLeaseOptions): Promise<PortLease> {
    checkTarget(target);
    const [lo, hi] = checkRange(opts.ports);
    checkTtl(opts.ttlMs);
    const r = await redisCall('lease acquire', () => this.#redis.jtLeaseAcquire(this.#keys.tag, String(lo), String(hi), String(opts.ttlMs), target.sim, String(target.channel), opts.holder));
    if (!r) throw new LeaseUnavailable('no-free-port', opts.ports, target);
    const [port, token, expiresAt] = r;
    return { port, sim: target.sim, channel: target.channel, holder: opts.holder, token, expiresAt };
  }

  async renew(port: number, token: number, ttlMs: number): Promise<PortLease> {
    checkPort(port);
    checkTtl(ttlMs);
    const [ok, value, sim, channel, holder] = await redisCall('lease renew', () => this.#redis.jtLeaseRenew(this.#keys.tag, String(port), String(token), String(ttlMs)));
    if (ok !== 1) throw this.#stale(port, token, value);
    return { port, sim: sim!, channel: Number(channel), holder: holder!, token, expiresAt: Number(value) };
  }

  async release(port: number, token: number): Promise<boolean> {
    checkPort(port);
    return (await redisCall('lease release', () => this.#redis.jtLeaseRelease(this.#keys.tag, String(port), String(token)))) === 1;
  }

  async validate(port: number, token: number): Promise<PortLease> {
    const lease = await this.get(port);
    if (!lease) throw new StaleLease(port, token, 'not-held');
    if (lease.token !== token) throw new StaleLease(port, token, 'superseded', lease.token);
    return lease;
  }

  async get(port: number): Promise<PortLease | undefined> {
    checkPort(port);
    return leaseFrom(port, await redisCall('lease read', () => this.#redis.hgetall(this.#keys.key('lease', port))));
  }

  async list(ports: readonly [number, number]): Promise<PortLease[]> {
    const [lo, hi] = checkRange(ports);
    const all: number[] = [];
    for (let p = lo; p <= hi; p++) all.push(p);
    const results = (await redisCall('lease list', () => this.#redis.pipeline(all.map((p) => ['hgetall', this.#keys.key('lease', p)])).exec())) ?? [];
    const out: PortLease[] = [];
    results.forEach(([err, h], i) => {
      // A pipeline reports each command's failure in place: one failed read means the list is
      // not the truth, and an empty list would be read as "no leases".
      if (err) throw new StoreUnavailable('lease list', { cause: err });
      const lease = leaseFrom(all[i]!, h as Record<string, string>);
      if (lease) out.push(lease);
    });
    return out;
  }

  #stale(port: number, token: number, current: string | number | boolean | null): StaleLease {
    // A missing hash field comes back as null (RESP2) or false (RESP3 boolean), by protocol.
    return current === null || current === undefined || current === false ? new StaleLease(port, token, 'not-held') : new StaleLease(port, token, 'superseded', Number(current));
  }

  /** Deletes every key under the prefix (tests clean up after themselves). */
  async clear(): Promise<void> {
    await this.#keys.clear(this.#redis);
  }

  async close(): Promise<void> {
    if (this.#ownsConnection) this.#redis.disconnect();
  }
}
