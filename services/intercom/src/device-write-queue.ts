/**
 * The bounded queue between talk audio and a device socket. While the socket takes data
 * (`write` returns true) packets go straight through; once it pushes back, packets wait here,
 * and when the queue is full the OLDEST are dropped (counted): late talk audio is worth less
 * than the newest, and a device that stopped reading must not make us hold its audio forever.
 * The shell calls `drained()` on the socket's 'drain' event.
 */

export interface PacketSink {
  /** false: the sink's own buffer is full; the packet was still taken (node:net semantics). */
  write(packet: Uint8Array): boolean;
}

export interface DeviceWriteQueueOptions {
  /** Packets held at most (default 50: one second of 20 ms audio). */
  readonly maxPackets?: number;
  /** Bytes held at most (default 64 KiB). */
  readonly maxBytes?: number;
}

export type WriteOutcome = 'written' | 'queued';

export class DeviceWriteQueue {
  readonly #queue: Uint8Array[] = [];
  #head = 0;
  #bytes = 0;
  #blocked = false;
  readonly #maxPackets: number;
  readonly #maxBytes: number;
  /** Packets handed to the sink. */
  written = 0;
  writtenBytes = 0;
  /** Packets dropped because the queue was full. */
  dropped = 0;
  droppedBytes = 0;

  constructor(
    private readonly sink: PacketSink,
    opts: DeviceWriteQueueOptions = {},
  ) {
    this.#maxPackets = opts.maxPackets ?? 50;
    this.#maxBytes = opts.maxBytes ?? 64 * 1024;
  }

  get queuedPackets(): number {
    return this.#queue.length - this.#head;
  }

  get queuedBytes(): number {
    return this.#bytes;
  }

  /** Hands `packet` to the sink now, or queues it (dropping the oldest when full). Returns how many were dropped. */
  push(packet: Uint8Array): number {
    if (!this.#blocked) {
      this.#write(packet);
      return 0;
    }
    this.#queue.push(packet);
    this.#bytes += packet.length;
    let dropped = 0;
    while (this.queuedPackets > 1 && (this.queuedPackets > this.#maxPackets || this.#bytes > this.#maxBytes)) {
      const old = this.#queue[this.#head++]!;
      this.#bytes -= old.length;
      this.dropped++;
      this.droppedBytes += old.length;
      dropped++;
    }
    this.#compact();
    return dropped;
  }

  /** The sink has room again: writes what waits until it pushes back. Returns packets written. */
  drained(): number {
    this.#blocked = false;
    let n = 0;
    while (!this.#blocked && this.#head < this.#queue.length) {
      const p = this.#queue[this.#head++]!;
      this.#bytes -= p.length;
      this.#write(p);
      n++;
    }
    this.#compact();
    return n;
  }

  /** Forgets what waits (the connection is closing); returns how many packets that was. */
  clear(): number {
    const n = this.queuedPackets;
    this.#queue.length = 0;
    this.#head = 0;
    this.#bytes = 0;
    return n;
  }

  #write(packet: Uint8Array): void {
    this.written++;
    this.writtenBytes += packet.length;
    if (!this.sink.write(packet)) this.#blocked = true;
  }

  /** Drops consumed slots once they are half the array (amortised O(1) shift). */
  #compact(): void {
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    } else if (this.#head > 32 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
