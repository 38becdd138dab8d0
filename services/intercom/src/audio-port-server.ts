/**
 * The intercom's TCP listeners: every pod listens on the whole audio port range (a load
 * balancer spreads devices over the pods), and a device connecting on port P is bound to the
 * lease on P, whichever pod granted it. No lease → the connection is closed, counted and logged
 * (in a digest: a port scanner must not flood the log). drain() is SIGTERM: stop accepting,
 * give talks in progress the grace period, then close them (leave events included).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { AudioDecodeOptions } from '@jt1078/media/audio';
import { ErrorDigest, type Logger } from '@jt1078/runtime/logger';
import { StaleLease, type PortLease, type PortLeaseStore, type TalkRegistry } from '@jt1078/store';
import type { AudioPortMap } from './audio-port-map.js';
import type { IntercomMetrics } from './intercom-metrics.js';
import { TalkConnection, remoteAddressOf, type IntercomBus, type TalkEnd } from './talk-connection.js';

export class AudioPortInUse extends Error {
  override readonly name = 'AudioPortInUse';
  readonly kind = 'audio-port-in-use';
  constructor(
    readonly port: number,
    readonly host: string,
    readonly leasedPort: number,
    cause: unknown,
  ) {
    super(
      `audio port ${port} (${host}:${port}${leasedPort === port ? '' : `, serving leased port ${leasedPort}`}) is already in use by another process: ` +
        'stop it, or choose other ports (jt1078.intercom.audio_ports, or cluster.intercom.listen_ports to listen elsewhere)',
      { cause },
    );
  }
}

export interface AudioPortServerDeps {
  readonly ports: AudioPortMap;
  /** Listen address (default all interfaces, as m7s-jt1078). */
  readonly host?: string;
  readonly bus: IntercomBus;
  readonly leases: Pick<PortLeaseStore, 'get' | 'renew' | 'release'>;
  readonly leaseTtlMs: number;
  /** Talks with deadlines, so a dead pod's talks get their leaves from another pod's reaper. */
  readonly talks?: TalkRegistry;
  readonly pod?: string;
  readonly overtimeMs: number;
  readonly metrics: IntercomMetrics;
  readonly log: Logger;
  /** How a device's audio is read, per SIM (`jt1078.audio`); its talk goes down the same way. */
  readonly audioOptions?: (sim: string) => AudioDecodeOptions;
}

export interface TalkInfo {
  readonly port: number;
  readonly sim: string;
  readonly channel: number;
  readonly address: string;
  readonly startedAt: Date;
}

export class AudioPortServer {
  readonly #servers: Server[] = [];
  readonly #bound: number[] = [];
  readonly #talks = new Set<TalkConnection>();
  readonly #ending = new Set<TalkConnection>();
  readonly #digest: ErrorDigest;
  readonly #host: string;
  readonly #idle = new Set<() => void>();
  #accepting = true;

  constructor(private readonly deps: AudioPortServerDeps) {
    this.#digest = new ErrorDigest(deps.log);
    this.#host = deps.host ?? '0.0.0.0';
  }

  /** The ports listened on, in leased-port order. */
  listening(): number[] {
    return [...this.#bound];
  }

  get talkCount(): number {
    return this.#talks.size;
  }

  talks(): TalkInfo[] {
    return [...this.#talks].map((t) => ({ port: t.port, sim: t.sim, channel: t.channel, address: t.remoteAddress, startedAt: t.startedAt }));
  }

  /** Listens on every port; a port that is taken fails the whole start with AudioPortInUse naming it. */
  async listen(): Promise<void> {
    for (const { leased, listen } of this.deps.ports.pairs()) {
      const server = createServer({ noDelay: true }, (socket) => {
        this.#accept(leased, socket).catch((err: unknown) => {
          this.deps.log.error({ err, port: leased }, 'device connection failed to start');
          socket.destroy();
        });
      });
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(listen, this.#host, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        this.#closeListeners();
        this.#bound.length = 0;
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new AudioPortInUse(listen, this.#host, leased, err);
        throw err;
      }
      server.on('error', (err) => this.deps.log.error({ err, port: listen }, 'audio port listener error'));
      this.#servers.push(server);
      this.#bound.push(listen);
    }
    const range = this.deps.ports;
    this.deps.log.info({ leased: range.leased, listening: range.listen, host: this.#host }, 'intercom audio ports listening');
  }

  async #accept(port: number, socket: Socket): Promise<void> {
    const d = this.deps;
    const remote = remoteAddressOf(socket);
    // Until the connection takes the socket over: an error must not crash the process.
    const early = (err: Error) => this.#digest.report(`socket:${port}`, 'device socket error before its talk started', { port, remote, err: err.message });
    socket.on('error', early);
    if (!this.#accepting) {
      d.metrics.connections.inc({ result: 'draining' });
      socket.destroy();
      return;
    }
    let lease: PortLease | undefined;
    try {
      const current = await d.leases.get(port);
      // Renewed at once: from the connect ttl of the lease request to the ttl of a live talk.
      lease = current && (await d.leases.renew(port, current.token, d.leaseTtlMs));
    } catch (err) {
      if (!(err instanceof StaleLease)) {
        d.metrics.connections.inc({ result: 'lease-lookup-failed' });
        this.#digest.report(`lookup:${port}`, 'lease look-up failed: device connection closed', { port, remote, err: (err as Error).message });
        socket.destroy();
        return;
      }
    }
    if (!lease) {
      d.metrics.connections.inc({ result: 'no-lease' });
      this.#digest.report(`no-lease:${port}`, 'device connected to an audio port that is not leased: closed', { port, remote });
      socket.destroy();
      return;
    }
    d.metrics.connections.inc({ result: 'accepted' });
    for (const old of this.#talks) {
      if (old.port !== port) continue;
      // The same device reconnecting (its old link half-open), or a lease that moved on.
      void old.close(old.token === lease.token ? { kind: 'replaced', err: `replaced by a new connection from ${remote}` } : { kind: 'lease-lost', err: `lease lost: port ${port} was leased again (token ${lease.token})` });
    }
    const talk = new TalkConnection({
      socket,
      lease,
      connectionId: randomUUID(),
      remoteAddress: remote,
      bus: d.bus,
      leases: d.leases,
      leaseTtlMs: d.leaseTtlMs,
      ...(d.talks ? { talks: d.talks } : {}),
      ...(d.pod ? { pod: d.pod } : {}),
      overtimeMs: d.overtimeMs,
      metrics: d.metrics,
      digest: this.#digest,
      log: d.log,
      onClosed: (c) => this.#closed(c),
      ...(d.audioOptions ? { audio: d.audioOptions(lease.sim) } : {}),
    });
    this.#talks.add(talk);
    d.metrics.talks.inc();
    socket.off('error', early);
    await talk.start();
  }

  #closed(talk: TalkConnection): void {
    if (!this.#talks.delete(talk)) return;
    // Its leave is still being stored: close() waits for it, so shutdown does not cut it off.
    this.#ending.add(talk);
    void talk.done.then(() => this.#ending.delete(talk));
    this.deps.metrics.talks.dec();
    if (this.#talks.size === 0) for (const wake of this.#idle) wake();
  }

  /** Ends the talks on leased `port` held by this pod (a DELETE served here); returns how many. */
  endTalk(port: number, err: string): number {
    let n = 0;
    for (const t of this.#talks) {
      if (t.port !== port) continue;
      void t.close({ kind: 'released', err });
      n++;
    }
    return n;
  }

  /** SIGTERM: no new connections; talks get `graceMs` to end by themselves, then are closed. */
  async drain(graceMs: number): Promise<void> {
    this.#accepting = false;
    this.#closeListeners();
    if (graceMs > 0 && this.#talks.size > 0) {
      let wake = () => {};
      const timer = setTimeout(() => wake(), graceMs);
      await new Promise<void>((resolve) => {
        wake = resolve;
        this.#idle.add(resolve);
      });
      clearTimeout(timer);
      this.#idle.clear();
    }
    await this.close({ kind: 'draining', err: 'intercom pod shutting down' });
  }

  async close(end: TalkEnd = { kind: 'draining', err: 'intercom pod shutting down' }): Promise<void> {
    this.#accepting = false;
    this.#closeListeners();
    await Promise.all([...this.#talks].map((t) => t.close(end)));
    await Promise.all([...this.#ending].map((t) => t.done));
    this.#digest.close();
  }

  /** Stops accepting at once (server.close's callback would wait for every open connection). */
  #closeListeners(): void {
    for (const s of this.#servers.splice(0)) s.close();
  }
}
