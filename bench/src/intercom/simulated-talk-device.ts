/**
 * A device's side of an intercom audio port, for tests and benchmarks: connects to the leased
 * port, decodes every JT1078 packet the intercom writes to it (with the project's own demuxer)
 * and sends audio packets up as a device does (PacketEncoder, optionally with the HiSilicon
 * header). Bounded: it keeps the last `maxPackets` packets it received.
 */
import { connect, type Socket } from 'node:net';
import { DataType, PAYLOAD_TYPE_OF, PacketEncoder, StreamDemuxer, type Jt1078Packet, type Revision } from '@jt1078/jt1078';
import type { AudioCodec } from '@jt1078/media';

export interface SimulatedTalkDeviceOptions {
  readonly host?: string;
  readonly port: number;
  readonly sim: string;
  readonly channel: number;
  readonly revision?: Revision;
  /** Prefix uplink audio with `00 01 LL 00`, as HiSilicon devices do. */
  readonly hisilicon?: boolean;
  readonly maxPackets?: number;
}

export class SimulatedTalkDevice {
  readonly received: Jt1078Packet[] = [];
  /** `host:port` of this end, as the intercom sees it (the `address` of the audio callbacks). */
  readonly localAddress: string;
  /** Resolves when the connection is closed (by either side). */
  readonly closed: Promise<void>;
  readonly #socket: Socket;
  readonly #demuxer: StreamDemuxer;
  readonly #encoder: PacketEncoder;
  readonly #maxPackets: number;
  #isClosed = false;

  private constructor(
    socket: Socket,
    private readonly opts: SimulatedTalkDeviceOptions,
  ) {
    this.#socket = socket;
    this.localAddress = `${socket.localAddress?.replace(/^::ffff:/, '')}:${socket.localPort}`;
    this.#maxPackets = opts.maxPackets ?? 100_000;
    this.#encoder = new PacketEncoder({ sim: opts.sim, revision: opts.revision ?? '2016', hisiliconAudio: opts.hisilicon ?? false });
    this.#demuxer = new StreamDemuxer({
      ...(opts.revision ? { revision: opts.revision } : {}),
      onPacket: (p) => {
        if (this.received.length >= this.#maxPackets) this.received.shift();
        this.received.push(p);
      },
    });
    socket.on('data', (chunk) => this.#demuxer.push(chunk));
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.#isClosed = true;
        resolve();
      }),
    );
  }

  static connect(opts: SimulatedTalkDeviceOptions): Promise<SimulatedTalkDevice> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: opts.host ?? '127.0.0.1', port: opts.port, noDelay: true });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new SimulatedTalkDevice(socket, opts));
      });
      socket.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }


  /** Sends one audio frame up (one packet for up to 950 bytes). */
  sendAudio(data: Uint8Array, timestamp: number, codec: AudioCodec = 'g711a'): void {
    for (const p of this.#encoder.encode({ channel: this.opts.channel, dataType: DataType.audio, payloadType: PAYLOAD_TYPE_OF[codec], timestamp, data })) this.#socket.write(p);
  }

  /** Raw bytes up (faults, other data types). */
  sendRaw(bytes: Uint8Array): void {
    this.#socket.write(bytes);
  }

  close(): Promise<void> {
    this.#socket.end();
    return this.closed;
  }

  destroy(): void {
    this.#socket.destroy();
  }
}
