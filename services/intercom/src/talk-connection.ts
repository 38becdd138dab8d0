/**
 * One device on a leased audio port: the shell around TalkUplink (device audio → media.talk),
 * TalkPacketizer + DeviceWriteQueue (talk.down → device), the lease it holds and the m7s-jt1078
 * audio join/leave events.
 *
 * The lease: renewed every second while the device is connected (RENEW checks the fencing
 * token, so it is also the check that the lease is still ours). A DELETE on any pod releases it
 * in the store; the next renew here fails with StaleLease and the device is closed, within
 * about a second. Released when the device goes, unless it was lost to someone else.
 *
 * overtime_second (m7s-jt1078): no audio written to the device for that long closes it, with
 * m7s' wording in `err` ("over time 47.243s": how long the talk lasted).
 */
import type { Socket } from 'node:net';
import type { MediaBus, TalkAudio, Unsubscribe } from '@jt1078/bus';
import type { StreamFault } from '@jt1078/jt1078';
import type { ErrorDigest, Logger } from '@jt1078/runtime/logger';
import { formatCallbackTime, formatSeconds } from '@jt1078/runtime/time';
import { StaleLease, type PortLease, type PortLeaseStore, type TalkRegistry } from '@jt1078/store';
import type { AudioDecodeOptions } from '@jt1078/media/audio';
import { DeviceWriteQueue } from './device-write-queue.js';
import type { IntercomMetrics } from './intercom-metrics.js';
import { TalkDownCodec } from './talk-down-codec.js';
import { talkEventId } from './talk-event-id.js';
import { TalkPacketizer } from './talk-packetizer.js';
import { TalkUplink } from './talk-uplink.js';

/** What the device side needs from the bus. */
export type IntercomBus = Pick<MediaBus, 'publishFrame' | 'pressure' | 'subscribeTalk' | 'publishEvent'>;

/** How often the holder renews (and so checks) its lease. */
export const LEASE_CHECK_MS = 1000;

/** Why a talk ended: the metric label, and the `err` of the leave callback. */
export interface TalkEnd {
  readonly kind: 'device-closed' | 'socket-error' | 'bus-error' | 'overtime' | 'released' | 'lease-lost' | 'lease-expired' | 'store-outage' | 'replaced' | 'draining';
  readonly err: string;
}

export interface TalkConnectionDeps {
  readonly socket: Socket;
  /** The lease as renewed when the device connected. */
  readonly lease: PortLease;
  readonly connectionId: string;
  /** `host:port` of the device, as the callback body gives it. */
  readonly remoteAddress: string;
  readonly bus: IntercomBus;
  readonly leases: Pick<PortLeaseStore, 'renew' | 'release'>;
  /** Where the talk's deadline lives, so that another pod's reaper sends its leave if this pod dies. */
  readonly talks?: Pick<TalkRegistry, 'open' | 'renew' | 'finish'>;
  /** This pod's name, kept with the talk for the reaper's `err`. */
  readonly pod?: string;
  readonly leaseTtlMs: number;
  readonly overtimeMs: number;
  readonly metrics: IntercomMetrics;
  readonly digest: ErrorDigest;
  readonly log: Logger;
  readonly onClosed: (connection: TalkConnection, end: TalkEnd) => void;
  /** How this device's audio is read (`jt1078.audio`); talk goes down the same way. */
  readonly audio?: AudioDecodeOptions;
}

/** `::ffff:1.2.3.4` (IPv4 on a dual-stack socket) is shown as `1.2.3.4`, as m7s-jt1078 shows it. */
export function remoteAddressOf(socket: Socket): string {
  return `${(socket.remoteAddress ?? '').replace(/^::ffff:/, '')}:${socket.remotePort ?? 0}`;
}

export class TalkConnection {
  readonly port: number;
  readonly token: number;
  readonly startedAt = new Date();
  readonly #startedMs = performance.now();
  readonly #uplink: TalkUplink;
  readonly #packetizer: TalkPacketizer;
  readonly #downCodec: TalkDownCodec;
  readonly #queue: DeviceWriteQueue;
  readonly #joinBody: Record<string, unknown>;
  #joinSettled: () => void = () => {};
  /** Settles once the join has been stored (or failed): the leave never overtakes it. */
  readonly #joined = new Promise<void>((resolve) => (this.#joinSettled = resolve));
  #unsubscribe: Unsubscribe | undefined;
  #leaseTimer: NodeJS.Timeout | undefined;
  #overtimeTimer: NodeJS.Timeout | undefined;
  #renewing = false;
  #lastRenewMs: number;
  #lastRenewError = '';
  /** Renews that failed (the store did not answer) since the last one that succeeded. */
  #renewFailures = 0;
  #closing: Promise<void> | undefined;
  #finished: () => void = () => {};
  /** Settles once the talk has ended completely: lease released, leave event stored (or failed). */
  readonly done = new Promise<void>((resolve) => (this.#finished = resolve));
  readonly #packetsUp: { inc(n?: number): void };
  readonly #bytesUp: { inc(n?: number): void };
  readonly #framesUp: { inc(n?: number): void };

  constructor(private readonly deps: TalkConnectionDeps) {
    const { lease, metrics } = deps;
    this.port = lease.port;
    this.token = lease.token;
    this.#lastRenewMs = this.#startedMs;
    this.#joinBody = { port: lease.port, address: deps.remoteAddress, startTime: formatCallbackTime(this.startedAt) };
    // Label lookups cost a microsecond each: bind the per-packet children once.
    this.#packetsUp = metrics.packets.labels('up');
    this.#bytesUp = metrics.bytes.labels('up');
    this.#framesUp = metrics.frames.labels();
    const packetsDown = metrics.packets.labels('down');
    const bytesDown = metrics.bytes.labels('down');
    const target = { sim: lease.sim, channel: lease.channel };
    this.#packetizer = new TalkPacketizer(target);
    this.#downCodec = new TalkDownCodec(deps.audio);
    this.#queue = new DeviceWriteQueue({
      write: (packet) => {
        packetsDown.inc();
        bytesDown.inc(packet.length);
        this.#overtimeTimer?.refresh();
        return deps.socket.write(packet);
      },
    });
    this.#uplink = new TalkUplink({
      target,
      connectionId: deps.connectionId,
      streamPath: `talk/${lease.sim}-${lease.channel}`,
      onFrame: (frame) => {
        if (deps.bus.pressure() === 2) return this.#drop('up', 'bus-congested');
        deps.bus.publishFrame(frame);
        this.#framesUp.inc();
      },
      onFault: (f) => this.#fault(f),
      onDeviceAudio: (frame) => this.#downCodec.deviceSent(frame),
      onDrop: (reason, frame) => this.#drop('up', reason, { codec: frame.codec, payloadType: frame.payloadType, dataType: frame.dataType }),
      onMismatch: (found) =>
        deps.digest.report(`mismatch:${deps.connectionId}`, 'device audio names another SIM/channel than its lease: published under the lease', {
          port: this.port, connectionId: deps.connectionId, lease: target, packets: found,
        }),
    });
  }

  get sim(): string {
    return this.deps.lease.sim;
  }

  get channel(): number {
    return this.deps.lease.channel;
  }

  get remoteAddress(): string {
    return this.deps.remoteAddress;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Audio written to the device and read from it so far. */
  get stats() {
    return { packetsDown: this.#queue.written, droppedDown: this.#queue.dropped, packetsUp: this.#uplink.packets, framesUp: this.#uplink.framesPublished };
  }

  async start(): Promise<void> {
    const d = this.deps;
    const socket = d.socket;
    socket.on('data', (chunk: Buffer) => this.#read(chunk));
    socket.on('drain', () => this.#queue.drained());
    socket.on('error', (err) => void this.close({ kind: 'socket-error', err: `socket error: ${(err as NodeJS.ErrnoException).code ?? err.message}` }));
    socket.on('close', () => void this.close({ kind: 'device-closed', err: 'device closed the connection' }));
    this.#overtimeTimer = setTimeout(() => this.#overtime(), d.overtimeMs);
    this.#overtimeTimer.unref();
    this.#leaseTimer = setInterval(() => void this.#renew(), LEASE_CHECK_MS);
    this.#leaseTimer.unref();
    let failure: string | undefined;
    try {
      // Subscribed before the join goes out: whoever starts talking on the join is heard.
      const unsubscribe = await d.bus.subscribeTalk({ sim: this.sim, channel: this.channel }, (audio) => this.#talk(audio));
      if (this.#closing) unsubscribe();
      else this.#unsubscribe = unsubscribe;
    } catch (err) {
      failure = (err as Error).message;
      d.log.error({ err, port: this.port, connectionId: d.connectionId }, 'talk.down subscription failed: closing the device');
    }
    // Registered before the join goes out: if this pod dies from here on, a reaper sends the leave.
    try {
      await d.talks?.open({ connectionId: d.connectionId, port: this.port, pod: d.pod ?? '', joinBody: this.#joinBody }, d.leaseTtlMs);
    } catch (err) {
      d.digest.report(`talk-open:${d.connectionId}`, 'talk not registered (no leave if this pod dies)', { port: this.port, err: (err as Error).message });
    }
    // The device did connect: its join goes out whatever happens next, and the leave after it.
    void this.#publishEvent('join', this.#joinBody).finally(this.#joinSettled);
    if (failure !== undefined) return this.close({ kind: 'bus-error', err: `talk subscription failed: ${failure}` });
    if (socket.destroyed) void this.close({ kind: 'device-closed', err: 'device closed the connection' });
    d.log.info({ port: this.port, sim: this.sim, channel: this.channel, remote: d.remoteAddress, connectionId: d.connectionId, token: this.token }, 'device connected to its audio port');
  }

  #read(chunk: Buffer): void {
    if (this.#closing) return;
    this.#bytesUp.inc(chunk.length);
    const before = this.#uplink.packets;
    try {
      this.#uplink.push(chunk, performance.now() - this.#startedMs);
    } catch (err) {
      // Whatever a device's bytes make throw costs only its own talk, never the pod.
      this.deps.metrics.faults.inc({ fault: 'handler-error' });
      void this.close({ kind: 'socket-error', err: `device bytes could not be handled: ${(err as Error).message?.slice(0, 120)}` });
      return;
    }
    this.#packetsUp.inc(this.#uplink.packets - before);
    const revision = this.#uplink.revision;
    if (revision && revision !== this.#packetizer.revision) this.#packetizer.useRevision(revision);
  }

  #talk(audio: TalkAudio): void {
    if (this.#closing) return;
    const out = this.#packetizer.packetize(this.#downCodec.convert(audio), performance.now() - this.#startedMs);
    if (typeof out === 'string') return this.#drop('down', out, { codec: audio.codec, session: audio.sessionId });
    for (const packet of out) {
      const dropped = this.#queue.push(packet);
      if (dropped > 0) this.#drop('down', 'queue-full', { queued: this.#queue.queuedPackets }, dropped);
    }
  }

  #drop(direction: 'up' | 'down', reason: string, context: Record<string, unknown> = {}, n = 1): void {
    const d = this.deps;
    d.metrics.drops.inc({ direction, reason }, n);
    d.digest.report(`drop:${direction}:${reason}:${d.connectionId}`, `talk audio ${direction === 'up' ? 'from' : 'to'} the device dropped: ${reason}`, {
      port: this.port, connectionId: d.connectionId, ...context,
    });
  }

  #fault(f: StreamFault): void {
    const d = this.deps;
    d.metrics.faults.inc({ fault: f.kind });
    d.digest.report(`fault:${f.kind}:${d.connectionId}`, `device stream fault on an audio port: ${f.kind}`, {
      port: this.port, connectionId: d.connectionId, remote: d.remoteAddress, offset: f.offset, detail: f.detail,
    });
  }

  #overtime(): void {
    this.deps.metrics.overtime.inc();
    void this.close({ kind: 'overtime', err: `over time ${formatSeconds(performance.now() - this.#startedMs)}` });
  }

  async #renew(): Promise<void> {
    if (this.#renewing || this.#closing) return;
    this.#renewing = true;
    const d = this.deps;
    try {
      await d.leases.renew(this.port, this.token, d.leaseTtlMs);
      this.#lastRenewMs = performance.now();
      this.#renewFailures = 0;
      const state = d.talks ? await d.talks.renew(d.connectionId, d.leaseTtlMs) : 'held';
      // A reaper took the talk (renews failed past its deadline) and has sent its leave.
      if (state === 'reaped') void this.close({ kind: 'store-outage', err: 'talk reaped while its renews were failing' });
      // The store lost it (a Redis that restarted empty): registered again.
      else if (state === 'missing') await d.talks!.open({ connectionId: d.connectionId, port: this.port, pod: d.pod ?? '', joinBody: this.#joinBody }, d.leaseTtlMs);
    } catch (err) {
      if (err instanceof StaleLease) {
        d.metrics.leases.inc({ outcome: 'stale' });
        void this.close(this.#lossOf(err));
      } else {
        d.metrics.leases.inc({ outcome: 'renew-failed' });
        this.#renewFailures++;
        this.#lastRenewError = (err as Error).message;
        d.digest.report(`renew:${d.connectionId}`, 'lease renew failed; retrying every second', { port: this.port, connectionId: d.connectionId, err: this.#lastRenewError });
      }
    } finally {
      this.#renewing = false;
    }
  }

  /** Why the store no longer gives us the port (StaleLease on renew). */
  #lossOf(err: StaleLease): TalkEnd {
    if (err.reason === 'superseded') return { kind: 'lease-lost', err: `lease lost: port ${this.port} was leased again (token ${err.currentToken})` };
    const sinceRenew = performance.now() - this.#lastRenewMs;
    // Renews were failing just before: the lease went with the outage (a Redis that restarted
    // empty, or one away longer than the ttl), not with a DELETE.
    if (this.#renewFailures > 0) {
      return { kind: 'store-outage', err: `lease lost to a Redis outage: ${this.#renewFailures} renews failed (${this.#lastRenewError.slice(0, 120)}), and the lease was gone when Redis answered again` };
    }
    // Renewed a second ago with a ttl of several: the key did not lapse, it was released.
    if (sinceRenew < this.deps.leaseTtlMs) return { kind: 'released', err: `lease released (DELETE /api/v1/intercom/leases/${this.port}, or the talk ended on another connection)` };
    return { kind: 'lease-expired', err: `lease expired: not renewed for ${formatSeconds(sinceRenew)} (${this.#lastRenewError || 'renew failing'})` };
  }

  /**
   * Ends the talk: the device socket is closed, the lease released (unless it is no longer
   * ours, or a new connection of the same device took it over), the leave event stored. Safe to
   * call more than once; the first reason wins. Never rejects: every store and bus call is caught.
   */
  close(end: TalkEnd): Promise<void> {
    this.#closing ??= this.#close(end).finally(() => this.#finished());
    return this.#closing;
  }

  async #close(end: TalkEnd): Promise<void> {
    const d = this.deps;
    clearInterval(this.#leaseTimer);
    clearTimeout(this.#overtimeTimer);
    this.#unsubscribe?.();
    const waiting = this.#queue.clear();
    if (waiting > 0) d.metrics.drops.inc({ direction: 'down', reason: 'connection-closed' }, waiting);
    try {
      this.#uplink.end();
    } catch (err) {
      // The device's last bytes run through the code #read guards: a throw must not skip the
      // socket, the lease and the leave, nor reject (most callers do not wait).
      d.metrics.faults.inc({ fault: 'handler-error' });
      d.digest.report(`end:${d.connectionId}`, 'device bytes made the talk throw at its end', { port: this.port, connectionId: d.connectionId, err: (err as Error).message?.slice(0, 120) });
    }
    d.socket.destroy();
    d.onClosed(this, end);
    d.metrics.closed.inc({ reason: end.kind });
    d.log.info({ port: this.port, sim: this.sim, channel: this.channel, remote: d.remoteAddress, connectionId: d.connectionId, ...this.stats, err: end.err }, 'talk ended');
    const ours = end.kind !== 'lease-lost' && end.kind !== 'replaced';
    if (ours) {
      try {
        if (await d.leases.release(this.port, this.token)) d.metrics.leases.inc({ outcome: 'released' });
      } catch (err) {
        d.log.warn({ err, port: this.port }, `lease release failed: the port frees itself within ${d.leaseTtlMs / 1000}s`);
      }
    }
    await this.#joined;
    let reaped = false;
    try {
      reaped = d.talks ? (await d.talks.finish(d.connectionId)) === 'reaped' : false;
    } catch (err) {
      // Unknown: the leave is sent (a second one, if a reaper also took it, is a duplicate the webhook posts twice at worst).
      d.digest.report(`talk-finish:${d.connectionId}`, 'talk end not recorded in the store', { port: this.port, err: (err as Error).message });
    }
    if (reaped) {
      d.log.warn({ port: this.port, connectionId: d.connectionId, err: end.err }, 'talk ended after a reaper had sent its leave: no second leave');
      return;
    }
    await this.#publishEvent('leave', { ...this.#joinBody, endTime: formatCallbackTime(new Date()), err: end.err });
  }

  async #publishEvent(action: 'join' | 'leave', body: Record<string, unknown>): Promise<void> {
    const d = this.deps;
    try {
      await d.bus.publishEvent({ id: talkEventId(d.connectionId, this.port, action), type: 'audio', action, streamKey: String(this.port), body, occurredAt: Date.now() });
      d.metrics.events.inc({ action, result: 'stored' });
    } catch (err) {
      d.metrics.events.inc({ action, result: 'failed' });
      d.log.error({ err, port: this.port, action, body }, `audio ${action} event could not be stored`);
    }
  }
}
