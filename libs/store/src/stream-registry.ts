/**
 * The registry of live streams (DESIGN.md "Stream names"): who publishes each name, kept alive
 * by heartbeats. It decides the duplicate-name rule atomically (a second connection for a live
 * name gets `-<unix ms>` appended, as m7s-jt1078 does), fences renew/release by connection id,
 * and hands each expired entry (its pod died) to exactly one reaper, so exactly one leave event
 * is emitted for it. RedisStreamRegistry serves a cluster, MemoryStreamRegistry one process;
 * stream-registry.test.ts holds both to one contract.
 */
import type { SegmentCursor } from '@jt1078/numbering';

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

/**
 * How long the store keeps a stream name's SegmentCursor (libs/numbering: where its HLS numbering
 * stands). The next claim of the name takes it (read and removed), so two connections can never
 * continue from one cursor; a name with none starts a fresh numbering above every number used
 * before. A device that stays away longer than this starts a fresh playlist (players have given
 * up by then).
 */
export const CURSOR_TTL_MS = 10 * 60_000;

/** What claimName decided. */
export interface NameClaim {
  /** The name granted; undefined when `wait` was asked and the name is held on another live pod. */
  readonly name: string | undefined;
  /** The entry whose name was taken over (its pod is dead): its leave is the claimer's to emit, before the join. */
  readonly takenOver?: StreamEntry;
  /** The live pod holding `baseName` (when it is not free). */
  readonly heldBy?: string;
}

/** How long a pod's liveness key lives without renewal: a pod killed with -9 is known dead after it. */
export const POD_LIVENESS_TTL_MS = 1500;

export interface StreamRegistry {
  /** The name granted: `baseName` when free, else `baseName-<unix ms>` (+1 ms until free). */
  claim(baseName: string, owner: StreamOwner, ttlMs: number): Promise<string>;
  /**
   * Like claim, but a `baseName` held by a connection whose pod is dead (no liveness key, see
   * markPodAlive) is taken over at once: the old entry is returned in `takenOver` (and will never
   * be reaped, so its leave is emitted exactly once, by the claimer). With `wait`, a name held on
   * another pod that is alive is not suffixed: `name` is undefined and the caller asks again (the
   * holder may have died a moment ago and its key not expired yet).
   */
  claimName(baseName: string, owner: StreamOwner, ttlMs: number, opts?: { readonly wait?: boolean }): Promise<NameClaim>;
  /** This pod is alive for `ttlMs` more (renewed well within it). */
  markPodAlive(pod: string, ttlMs: number): Promise<void>;
  /** Where a live stream's numbering stands now (written at every segment mark): outlives a crash of its pod. */
  saveCursor(name: string, cursor: SegmentCursor): Promise<void>;
  /**
   * Extends the owner's deadline and stores the owner's current state (meta as it is now known).
   * An entry that is gone (reaped, or lost in a Redis restart) is put back for its owner, so
   * live streams re-register themselves; false when another connection holds the name now.
   */
  renew(name: string, owner: StreamOwner, ttlMs: number): Promise<boolean>;
  /**
   * Removes the entry if `connectionId` still owns it, leaving `cursor` (when given) for the
   * name's next connection, in the same step; otherwise nothing happens.
   */
  release(name: string, connectionId: string, cursor?: SegmentCursor): Promise<void>;
  /** The cursor a clean release left for `name`, removed as it is read. */
  takeCursor(name: string): Promise<SegmentCursor | undefined>;
  /** Every entry, expired or not until a reaper takes it. */
  list(): Promise<StreamEntry[]>;
  /** Removes and returns entries whose deadline is at or before `nowMs`; each is returned to one caller only. */
  reapExpired(nowMs?: number): Promise<StreamEntry[]>;
  close(): Promise<void>;
}
