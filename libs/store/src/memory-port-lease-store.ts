/** The in-process PortLeaseStore for `jt1078 start` (one process: no races to settle). */
import {
  LeaseUnavailable, StaleLease, checkPort, checkRange, checkTarget, checkTtl,
  type AcquireLeaseOptions, type PortLease, type PortLeaseStore, type PortLeaseTarget,
} from './port-lease-store.js';

export class MemoryPortLeaseStore implements PortLeaseStore {
  readonly #leases = new Map<number, PortLease>();
  #lastToken = 0;

  constructor(private readonly now: () => number = Date.now) {}

  #current(port: number): PortLease | undefined {
    const l = this.#leases.get(port);
    if (l && l.expiresAt <= this.now()) {
      this.#leases.delete(port);
      return undefined;
    }
    return l;
  }

  async acquire(target: PortLeaseTarget, opts: AcquireLeaseOptions): Promise<PortLease> {
    checkTarget(target);
    const [lo, hi] = checkRange(opts.ports);
    checkTtl(opts.ttlMs);
    for (let port = lo; port <= hi; port++) {
      if (this.#current(port)) continue;
      const lease: PortLease = { port, sim: target.sim, channel: target.channel, holder: opts.holder, token: ++this.#lastToken, expiresAt: this.now() + opts.ttlMs };
      this.#leases.set(port, lease);
      return lease;
    }
    throw new LeaseUnavailable('no-free-port', opts.ports, target);
  }

  #held(port: number, token: number): PortLease {
    checkPort(port);
    const l = this.#current(port);
    if (!l) throw new StaleLease(port, token, 'not-held');
    if (l.token !== token) throw new StaleLease(port, token, 'superseded', l.token);
    return l;
  }

  async renew(port: number, token: number, ttlMs: number): Promise<PortLease> {
    checkTtl(ttlMs);
    const renewed = { ...this.#held(port, token), expiresAt: this.now() + ttlMs };
    this.#leases.set(port, renewed);
    return renewed;
  }

  async release(port: number, token: number): Promise<boolean> {
    checkPort(port);
    if (this.#current(port)?.token !== token) return false;
    this.#leases.delete(port);
    return true;
  }

  async validate(port: number, token: number): Promise<PortLease> {
    return this.#held(port, token);
  }

  async get(port: number): Promise<PortLease | undefined> {
    return this.#current(checkPort(port));
  }

  async list(ports: readonly [number, number]): Promise<PortLease[]> {
    const [lo, hi] = checkRange(ports);
    const out: PortLease[] = [];
    for (let port = lo; port <= hi; port++) {
      const l = this.#current(port);
      if (l) out.push(l);
    }
    return out;
  }

  async close(): Promise<void> {}
}
