/**
 * One simulated device: connects to an ingest address and writes its replay paced by the
 * capture's timestamps (divided by `speed`). Like a real device after a new 0x9101, it connects
 * again when the server closes the connection, with a growing back-off. TCP, or UDP with one
 * packet per datagram (the ingest's UDP listener takes those). A packet that completes a frame
 * with a send stamp gets the device's clock written into it just before it goes out, and the
 * packets due at one wake-up leave in one TCP write, as a device's do.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import type { CaptureReplay, ReplayStep } from './capture-replay.js';
import { monotonicNs, writeSendStamp } from './send-stamp.js';

export interface SimulatedDeviceOptions {
  readonly host: string;
  readonly port: number;
  readonly replay: CaptureReplay;
  readonly speed?: number;
  readonly transport?: 'tcp' | 'udp';
  /** Reconnect after the server closes (a device does); off for one-shot replays. */
  readonly reconnect?: boolean;
  readonly onEvent?: (event: DeviceEvent) => void;
}

export type DeviceEvent =
  | { readonly type: 'connected' }
  | { readonly type: 'disconnected'; readonly reason: string }
  | { readonly type: 'finished'; readonly packets: number };

/** Back-off between reconnects: from 200 ms doubling to 5 s. */
const RECONNECT_MIN_MS = 200;
const RECONNECT_MAX_MS = 5000;
/** Stop writing while the socket holds more than this (a slow server); resume on drain. */
const WRITE_HIGH_WATER_BYTES = 256 * 1024;

export class SimulatedDevice {
  packetsSent = 0;
  bytesSent = 0;
  connects = 0;
  /** Why the last connection attempt failed or ended (`ECONNREFUSED` …), for the command's message. */
  lastError: string | undefined;
  #socket: Socket | undefined;
  #stalled = false;
  #udp: UdpSocket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #pending: ReplayStep | undefined;
  #startedAt = 0;
  #lastAtMs = 0;
  #backoff = RECONNECT_MIN_MS;
  #done: Promise<void>;
  #resolveDone!: () => void;

  constructor(private readonly opts: SimulatedDeviceOptions) {
    this.#done = new Promise((resolve) => (this.#resolveDone = resolve));
  }

  /** Starts sending; the promise resolves when a non-looping replay is done or stop() is called (never rejects: connection errors lead to reconnects). */
  start(): Promise<void> {
    this.#startedAt = performance.now();
    if ((this.opts.transport ?? 'tcp') === 'udp') {
      this.#udp = createSocket(this.opts.host.includes(':') ? 'udp6' : 'udp4');
      this.#udp.on('error', () => {});
      this.#udp.connect(this.opts.port, this.opts.host, () => {
        this.opts.onEvent?.({ type: 'connected' });
        this.#pump();
      });
    } else {
      this.#connect();
    }
    return this.#done;
  }

  /** A TCP connection is open now (UDP: always, once started). */
  get isConnected(): boolean {
    return this.#udp !== undefined || this.#socket?.readyState === 'open';
  }

  /**
   * Stops sending but keeps the connection open: a device whose encoder or uplink stalled (the
   * ingest sees a live stream with no frames). `stop()` ends it; there is no resume.
   */
  stall(): void {
    this.#stalled = true;
    clearTimeout(this.#timer);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#socket?.destroy();
    this.#udp?.close();
    this.#resolveDone();
  }

  #connect(): void {
    if (this.#stopped) return;
    const socket = connect({ host: this.opts.host, port: this.opts.port, noDelay: true });
    this.#socket = socket;
    socket.on('connect', () => {
      this.connects++;
      // After a reconnect, carry on from the next packet now rather than bursting what is overdue.
      if (this.connects > 1) this.#startedAt = performance.now() - this.#lastAtMs / (this.opts.speed ?? 1);
      this.#backoff = RECONNECT_MIN_MS;
      this.opts.onEvent?.({ type: 'connected' });
      this.#pump();
    });
    socket.on('drain', () => this.#pump());
    socket.on('data', () => {}); // Devices ignore what the server sends on the media link.
    socket.on('error', (err: NodeJS.ErrnoException) => (this.lastError = err.code ?? err.message));
    socket.on('close', () => {
      clearTimeout(this.#timer);
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      if (this.#stopped) return;
      this.opts.onEvent?.({ type: 'disconnected', reason: 'closed by server' });
      if (this.opts.reconnect === false) {
        this.stop();
        return;
      }
      this.#timer = setTimeout(() => this.#connect(), this.#backoff);
      this.#backoff = Math.min(this.#backoff * 2, RECONNECT_MAX_MS);
    });
  }

  #write(step: ReplayStep): boolean {
    const bytes = step.bytes;
    if (step.stampAt !== undefined) writeSendStamp(bytes, step.stampAt, monotonicNs());
    this.packetsSent++;
    this.bytesSent += bytes.length;
    if (this.#udp) {
      this.#udp.send(bytes);
      return true;
    }
    const socket = this.#socket;
    if (!socket) return false;
    socket.write(bytes);
    return socket.writableLength < WRITE_HIGH_WATER_BYTES;
  }

  /** Sends every packet that is due, then sleeps until the next one. */
  #pump(): void {
    clearTimeout(this.#timer);
    if (this.#stopped || this.#stalled || (!this.#socket?.writable && !this.#udp)) return;
    const speed = this.opts.speed ?? 1;
    const socket = this.#socket;
    socket?.cork();
    try {
      this.#sendDue(speed);
    } finally {
      socket?.uncork();
    }
  }

  #sendDue(speed: number): void {
    for (;;) {
      const step = this.#pending ?? this.opts.replay.next();
      this.#pending = undefined;
      if (!step) {
        this.opts.onEvent?.({ type: 'finished', packets: this.packetsSent });
        if (this.#socket) this.#socket.end(() => this.stop());
        else this.stop();
        return;
      }
      const due = this.#startedAt + step.atMs / speed;
      const wait = due - performance.now();
      if (wait > 1) {
        this.#pending = step;
        this.#timer = setTimeout(() => this.#pump(), wait);
        return;
      }
      this.#lastAtMs = step.atMs;
      if (!this.#write(step)) return; // resumes on 'drain'
    }
  }
}
