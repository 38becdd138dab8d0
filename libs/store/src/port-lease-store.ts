/**
 * Leases on the intercom's TCP audio ports (DESIGN.md: 12021–12050 by default). Any intercom
 * pod may be asked for a talk session; the lease decides, atomically across pods, which port the
 * device is told to connect to (the 0x9101 body) and which pod answers on it. Each grant carries
 * a fencing token that only grows (across all ports of a store), so a pod that lost its lease —
 * it paused past the expiry, and the port went to someone else — is refused when it next acts
 * on the port (renew/validate throw StaleLease) instead of talking over the new holder.
 * RedisPortLeaseStore serves a cluster, MemoryPortLeaseStore one process; one contract suite
 * (port-lease-store.test.ts) holds both.
 */

export interface PortLeaseTarget {
  readonly sim: string;
  readonly channel: number;
}

export interface AcquireLeaseOptions {
  /** Inclusive range to lease from, `[lo, hi]` (config `audio_ports`). */
  readonly ports: readonly [number, number];
  readonly ttlMs: number;
  /** Who holds it (the pod name): shown by get/list, for operators. */
  readonly holder: string;
}

export interface PortLease extends PortLeaseTarget {
  readonly port: number;
  readonly holder: string;
  /** Fencing token: larger for every grant, never reused. */
  readonly token: number;
  /** When the lease lapses unless renewed (unix ms, the store's clock). */
  readonly expiresAt: number;
}

export interface PortLeaseStore {
  /** The lowest free port of the range, atomically; LeaseUnavailable when all are held. */
  acquire(target: PortLeaseTarget, opts: AcquireLeaseOptions): Promise<PortLease>;
  /** Extends the lease; StaleLease when `token` no longer holds `port`. */
  renew(port: number, token: number, ttlMs: number): Promise<PortLease>;
  /** Frees the port if `token` holds it; false (nothing changed) when it does not. */
  release(port: number, token: number): Promise<boolean>;
  /** The lease `token` holds on `port`; StaleLease when it holds none (expired, released or superseded). */
  validate(port: number, token: number): Promise<PortLease>;
  /** Who holds `port` now, if anyone. */
  get(port: number): Promise<PortLease | undefined>;
  /** Leases held now within `[lo, hi]`, by port. */
  list(ports: readonly [number, number]): Promise<PortLease[]>;
  close(): Promise<void>;
}

export class LeaseUnavailable extends Error {
  override readonly name = 'LeaseUnavailable';
  readonly kind = 'lease-unavailable';
  constructor(
    readonly reason: 'no-free-port',
    readonly ports: readonly [number, number],
    readonly target: PortLeaseTarget,
  ) {
    super(`no free port in ${ports[0]}-${ports[1]} for SIM ${target.sim} channel ${target.channel}`);
  }
}

export class StaleLease extends Error {
  override readonly name = 'StaleLease';
  readonly kind = 'stale-lease';
  constructor(
    readonly port: number,
    readonly token: number,
    /** `not-held`: nobody holds the port (expired or released); `superseded`: a later grant holds it. */
    readonly reason: 'not-held' | 'superseded',
    readonly currentToken?: number,
  ) {
    super(`lease token ${token} on port ${port} is stale (${reason}${currentToken === undefined ? '' : `, now held by token ${currentToken}`})`);
  }
}

export class InvalidLeaseRequest extends Error {
  override readonly name = 'InvalidLeaseRequest';
  readonly kind = 'invalid-lease-request';
}

/**
 * Ports leased from one range at most: the acquire script walks the range, and a range this
 * large is a configuration mistake (m7s-jt1078's default is 30 ports).
 */
export const MAX_LEASE_RANGE = 4096;
/** A lease shorter than this would lapse between heartbeats; longer than a day is a leak. */
const MIN_TTL_MS = 100;
const MAX_TTL_MS = 86_400_000;

export function checkRange(ports: readonly [number, number]): readonly [number, number] {
  const [lo, hi] = ports;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi > 65_535 || lo > hi || hi - lo + 1 > MAX_LEASE_RANGE) {
    throw new InvalidLeaseRequest(`port range [${lo}, ${hi}] must be 1 ≤ lo ≤ hi ≤ 65535 and span at most ${MAX_LEASE_RANGE} ports`);
  }
  return ports;
}

export function checkTtl(ttlMs: number): number {
  if (!Number.isInteger(ttlMs) || ttlMs < MIN_TTL_MS || ttlMs > MAX_TTL_MS) throw new InvalidLeaseRequest(`lease ttl ${ttlMs} ms must be an integer in [${MIN_TTL_MS}, ${MAX_TTL_MS}]`);
  return ttlMs;
}

export function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new InvalidLeaseRequest(`port ${port} is not a TCP port`);
  return port;
}

export function checkTarget(t: PortLeaseTarget): PortLeaseTarget {
  // Digits only: the same rule the bus applies before a SIM enters a subject (JT/T 1078-2016 table 19: BCD SIM, BYTE channel).
  if (!/^\d{1,20}$/.test(t.sim) || !Number.isInteger(t.channel) || t.channel < 0 || t.channel > 255) {
    throw new InvalidLeaseRequest(`SIM '${t.sim}' / channel ${t.channel}: SIM must be 1..20 digits, channel 0..255`);
  }
  return t;
}
