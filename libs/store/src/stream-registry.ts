/**
 * The registry of live streams (DESIGN.md "Stream names"): who publishes each name, kept alive
 * by heartbeats. It decides the duplicate-name rule atomically (a second connection for a live
 * name gets `-<unix ms>`), fences renew/release by connection id, and hands each expired entry
 * (its pod died) to exactly one reaper, so exactly one leave event is emitted for it.
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
  claim(baseName: string, owner: StreamOwner, ttlMs: number): Promise<string>;
  /**
   * Extends the owner's deadline. An entry that is gone (reaped, or lost in a Redis restart) is
   * put back for its owner, so live streams re-register themselves; false when another
   * connection holds the name now.
   */
  renew(name: string, owner: StreamOwner, ttlMs: number): Promise<boolean>;
  release(name: string, connectionId: string): Promise<void>;
  list(): Promise<StreamEntry[]>;
  /** Removes and returns entries whose deadline passed; each is returned to one caller only. */
  reapExpired(nowMs?: number): Promise<StreamEntry[]>;
  close(): Promise<void>;
}
