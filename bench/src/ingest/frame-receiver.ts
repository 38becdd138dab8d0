/**
 * The benchmark's NATS subscriber: a plain nats.js subscription on the media subjects, as any
 * consumer of the cluster would have, counting messages and bytes and reading the send stamp at
 * the end of each video frame (send-stamp.ts) into device write → subscriber latencies. Headers
 * are not parsed (that would be most of its cost): the stamp is in the payload.
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { monotonicNs, readSendStamp } from '@jt1078/svc-simulator';

/** Latency samples kept per measurement (a run at 2,000 devices makes 50,000 a second). */
const MAX_SAMPLES = 4_000_000;

export interface ReceiverCounts {
  readonly messages: number;
  readonly bytes: number;
}

export class FrameReceiver {
  messages = 0;
  bytes = 0;
  /** Times the subscriber's connection dropped (a NATS server closes a slow consumer). */
  disconnects = 0;
  readonly #latencies = new Float64Array(MAX_SAMPLES);
  #samples = 0;
  #measuring = false;
  readonly #sub: Subscription;

  constructor(nc: NatsConnection, subject: string) {
    this.#sub = nc.subscribe(subject, {
      callback: (err, m) => {
        if (err) return;
        this.messages++;
        this.bytes += m.data.length;
        if (!this.#measuring || this.#samples >= MAX_SAMPLES) return;
        const sent = readSendStamp(m.data);
        if (sent !== undefined) this.#latencies[this.#samples++] = (monotonicNs() - sent) / 1e6;
      },
    });
    void (async () => {
      for await (const s of nc.status()) if (s.type === 'disconnect') this.disconnects++;
    })();
  }

  counts(): ReceiverCounts {
    return { messages: this.messages, bytes: this.bytes };
  }

  /** Starts collecting latencies (from a clean slate). */
  measure(): void {
    this.#samples = 0;
    this.#measuring = true;
  }

  /** Stops collecting; the p-th percentiles (ms) of what was collected, and how many. */
  latencies(...percentiles: number[]): { samples: number; ms: number[] } {
    this.#measuring = false;
    const sorted = this.#latencies.subarray(0, this.#samples).sort();
    const at = (p: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);
    return { samples: sorted.length, ms: percentiles.map(at) };
  }

  stop(): void {
    this.#sub.unsubscribe();
  }
}
