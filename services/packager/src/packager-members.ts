/**
 * The live packager replicas, for rendezvous ownership (rendezvous-owners.ts). Each replica keeps
 * an entry in a Redis sorted set, scored with its deadline (now + member_ttl), renewed three
 * times per TTL; a replica that stops renewing (killed, partitioned) drops out of every other
 * replica's list within the TTL, and its streams move to the next owners. A replica that fails
 * to reach a member (connection refused) leaves it out of its own list at once, for one TTL.
 *
 *   {<root>}:packagers   zset  "<name>\n<url>" → deadline (unix ms)
 */
import type { Redis } from 'ioredis';
import { RedisKeyspace, connectRedis } from '@jt1078/store';
import type { Logger } from '@jt1078/runtime/logger';
import type { PackagerMember } from './rendezvous-owners.js';

export interface PackagerMembersOptions {
  readonly redisUrl: string;
  readonly root: string;
  readonly self: PackagerMember;
  readonly ttlMs: number;
  readonly log: Logger;
}

export class PackagerMembers {
  readonly #redis: Redis;
  readonly #key: string;
  #members: PackagerMember[] = [];
  /** Members this replica could not reach, with when: left out for one TTL. */
  readonly #unreachable = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #failing = false;

  constructor(private readonly opts: PackagerMembersOptions) {
    this.#redis = connectRedis(opts.redisUrl, { name: `${opts.self.name} packager-members` });
    this.#key = new RedisKeyspace(opts.root).key('packagers');
  }

  get self(): PackagerMember {
    return this.opts.self;
  }

  /** Joins, and keeps renewing until stop(). Resolves once the first list is read. */
  async start(): Promise<void> {
    await this.#beat();
    this.#timer = setInterval(() => void this.#beat(), Math.max(500, this.opts.ttlMs / 3));
    this.#timer.unref();
  }

  /** Live members (this one included), as last read; reachable ones only. */
  members(): PackagerMember[] {
    if (this.#unreachable.size === 0) return this.#members;
    const now = Date.now();
    for (const [name, at] of this.#unreachable) if (now - at >= this.opts.ttlMs) this.#unreachable.delete(name);
    return this.#members.filter((m) => !this.#unreachable.has(m.name));
  }

  /** A proxied request could not connect to `name`: route around it until it renews again. */
  unreachable(name: string): void {
    if (name !== this.opts.self.name) this.#unreachable.set(name, Date.now());
  }

  async #beat(): Promise<void> {
    const now = Date.now();
    const self = `${this.opts.self.name}\n${this.opts.self.url}`;
    try {
      const [, , listed] = (await this.#redis
        .multi()
        .zadd(this.#key, now + this.opts.ttlMs, self)
        .zremrangebyscore(this.#key, '-inf', now)
        .zrangebyscore(this.#key, now, '+inf')
        .exec())!.map(([err, v]) => {
        if (err) throw err;
        return v;
      }) as [unknown, unknown, string[]];
      const members: PackagerMember[] = [];
      for (const entry of listed) {
        const [name, url] = entry.split('\n');
        if (name && url) members.push({ name, url });
      }
      this.#members = members.sort((a, b) => (a.name < b.name ? -1 : 1));
      if (this.#failing) this.opts.log.info({ members: members.length }, 'packager membership readable again');
      this.#failing = false;
    } catch (err) {
      // Keep the last list: a Redis blip must not make every replica package every stream.
      if (!this.#failing) this.opts.log.warn({ err }, 'packager membership not renewed; keeping the last member list');
      this.#failing = true;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#redis.zrem(this.#key, `${this.opts.self.name}\n${this.opts.self.url}`).catch(() => 0);
    this.#redis.disconnect();
  }
}
