/**
 * Many simulated devices replaying one capture (`jt1078 simulate --devices N`, and the ingest
 * benchmark's fleet processes), each with its own SIM. Their starts can be spread over `rampMs`
 * so that the fleet's key frames do not all arrive in the same instant, as real vehicles' do not.
 */
import { CaptureReplay, type CapturePackets } from './capture-replay.js';
import { SimulatedDevice } from './simulated-device.js';

export interface DeviceFleetOptions {
  readonly host: string;
  readonly port: number;
  readonly capture: CapturePackets;
  /** One device per entry; undefined keeps the capture's own SIM. */
  readonly sims: ReadonlyArray<string | undefined>;
  readonly channel?: number | undefined;
  readonly loop: boolean;
  readonly speed?: number;
  readonly transport?: 'tcp' | 'udp';
  /** Device i starts i/N of this after the first (default 0: all at once). */
  readonly rampMs?: number;
}

export class DeviceFleet {
  readonly devices: readonly SimulatedDevice[];
  readonly #rampMs: number;
  readonly #timers: NodeJS.Timeout[] = [];

  constructor(opts: DeviceFleetOptions) {
    this.#rampMs = opts.rampMs ?? 0;
    this.devices = opts.sims.map(
      (sim) =>
        new SimulatedDevice({
          host: opts.host,
          port: opts.port,
          speed: opts.speed ?? 1,
          transport: opts.transport ?? 'tcp',
          replay: new CaptureReplay(opts.capture, { sim, channel: opts.channel, loop: opts.loop }),
        }),
    );
  }

  /** Starts every device; settles when all are done (a non-looping replay ends, or stop()). */
  start(): Promise<void> {
    const n = this.devices.length;
    return Promise.all(
      this.devices.map((d, i) => {
        const delay = n > 1 ? (this.#rampMs * i) / n : 0;
        if (delay === 0) return d.start();
        return new Promise<void>((resolve) => this.#timers.push(setTimeout(() => void d.start().then(resolve), delay)));
      }),
    ).then(() => undefined);
  }

  stop(): void {
    for (const t of this.#timers) clearTimeout(t);
    for (const d of this.devices) d.stop();
  }

  get packetsSent(): number {
    return this.devices.reduce((n, d) => n + d.packetsSent, 0);
  }

  get bytesSent(): number {
    return this.devices.reduce((n, d) => n + d.bytesSent, 0);
  }

  /** Devices that have connected at least once. */
  get connected(): number {
    return this.devices.filter((d) => d.connects > 0).length;
  }
}
