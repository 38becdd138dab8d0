/**
 * The Redis connection the stores use (ioredis 6, RESP3). ioredis reconnects by itself; the
 * settings here bound how long a command waits meanwhile, so a heartbeat fails (and is retried
 * by its caller on the next beat) instead of hanging while Redis is away.
 *
 * Scripts are registered with defineCommand: ioredis sends EVALSHA and, when a restarted (or
 * SCRIPT FLUSHed) Redis answers NOSCRIPT, sends the script again with EVAL — so a store keeps
 * working across a Redis restart without re-loading anything itself.
 */
import { Redis } from 'ioredis';

/** Retries of one command across reconnects before it fails (ioredis' default 20 would block a heartbeat for ~20 s). */
const MAX_RETRIES_PER_REQUEST = 3;
/** Reconnect delay: 50 ms per attempt, capped at 2 s. */
const RECONNECT_STEP_MS = 50;
const RECONNECT_MAX_MS = 2000;
/** A command (or connect) that gets no answer within this long fails. */
const COMMAND_TIMEOUT_MS = 5000;

export interface RedisConnectionOptions {
  /** Shown by CLIENT LIST (the pod name and the store). */
  readonly name?: string;
  /** Connection errors (ioredis emits them while reconnecting); commands fail on their own. */
  readonly onError?: (err: Error) => void;
}

export function connectRedis(url: string, opts: RedisConnectionOptions = {}): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: MAX_RETRIES_PER_REQUEST,
    retryStrategy: (attempt) => Math.min(attempt * RECONNECT_STEP_MS, RECONNECT_MAX_MS),
    connectTimeout: COMMAND_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    ...(opts.name ? { connectionName: opts.name.replace(/\s/g, '_') } : {}),
  });
  redis.on('error', opts.onError ?? (() => {}));
  return redis;
}

/** Key names under a prefix, hash-tagged (`{prefix}:…`) so every key of one store lands in one Redis Cluster slot and a Lua script may touch them all. */
export class RedisKeyspace {
  readonly tag: string;

  constructor(readonly prefix: string) {
    if (!/^[A-Za-z0-9_.:-]+$/.test(prefix)) throw new TypeError(`Redis key prefix '${prefix}' must be letters, digits, _ . : - only`);
    this.tag = `{${prefix}}`;
  }

  key(...parts: Array<string | number>): string {
    return [this.tag, ...parts].join(':');
  }

  /** Deletes every key of this keyspace (SCAN, not KEYS: safe on a busy server). */
  async clear(redis: Redis): Promise<number> {
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.tag.replace(/[[\]*?\\]/g, '\\$&')}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
    return deleted;
  }
}
