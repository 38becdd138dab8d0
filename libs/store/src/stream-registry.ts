/**
 * The registry of live streams (DESIGN.md "Stream names"): who publishes each name, kept alive
 * by heartbeats. It decides the duplicate-name rule atomically (a second connection for a live
 * name gets `-<unix ms>` appended, as m7s-jt1078 does), fences renew/release by connection id,
 * and hands each expired entry (its pod died) to exactly one reaper, so exactly one leave event
 * is emitted for it. RedisStreamRegistry serves a cluster, MemoryStreamRegistry one process;
 * stream-registry.test.ts holds both to one contract.
 */

export interface StreamEntry {
  readonly name: string;
  readonly pod: string;
  readonly connectionId: string;
  readonly sim: string;
  readonly channel: number;
  readonly kind: 'live' | 'playback';
  readonly startTime: string;
  /** The join callback body, so a reaper can emit the matching leave. */
  readonly joinBody: Readonly<Record<string, unknown>>;
  /** Codecs and size as the ingest last reported them (for /api/v1/streams). */
  readonly meta?: Readonly<Record<string, unknown>>;
}

export type StreamOwner = Omit<StreamEntry, 'name'>;

export interface StreamRegistry {
  /** The name granted: `baseName` when free, else `baseName-<unix ms>` (+1 ms until free). */
  claim(baseName: string, owner: StreamOwner, ttlMs: number): Promise<string>;
  /**
   * Extends the owner's deadline and stores the owner's current state (meta as it is now known).
   * An entry that is gone (reaped, or lost in a Redis restart) is put back for its owner, so
   * live streams re-register themselves; false when another connection holds the name now.
   */
  renew(name: string, owner: StreamOwner, ttlMs: number): Promise<boolean>;
  /** Removes the entry if `connectionId` still owns it; otherwise nothing happens. */
  release(name: string, connectionId: string): Promise<void>;
  /** Every entry, expired or not until a reaper takes it. */
  list(): Promise<StreamEntry[]>;
  /** Removes and returns entries whose deadline is at or before `nowMs`; each is returned to one caller only. */
  reapExpired(nowMs?: number): Promise<StreamEntry[]>;
  close(): Promise<void>;
}
