/**
 * The FLV streams this packager serves: subscribed on a stream's first viewer, from the bus's
 * retained window (so the first viewer starts at the last key frame at once), released a grace
 * period after its last viewer left (a player that reconnects finds it still warm).
 */
import type { MediaBus, Unsubscribe } from '@jt1078/bus';
import type { FlvHevcForm } from '@jt1078/media/flv';
import type { Logger } from '@jt1078/runtime/logger';
import { FlvLiveStream } from './flv-live-stream.js';
import type { StreamCoordinates } from './stream-path.js';
import type { ViewerMetrics, ViewerProtocol } from './viewer-metrics.js';
import type { ViewerSink } from './viewer-sink.js';

/** 4 MiB of unsent bytes: ~30 s of a 1 Mbit/s stream, far more than a live player ever lags. */
export const DEFAULT_VIEWER_QUEUE_BYTES = 4 * 1024 * 1024;

export interface FlvStreamPoolOptions {
  readonly bus: MediaBus;
  readonly log: Logger;
  readonly metrics?: ViewerMetrics;
  readonly maxQueueBytes?: number;
  readonly gopCacheBytes?: number;
  readonly hevcForm?: FlvHevcForm;
  /** How long a stream with no viewer stays subscribed. */
  readonly releaseAfterMs?: number;
}

interface PoolEntry {
  readonly stream: FlvLiveStream;
  ready: Promise<Unsubscribe>;
  release?: NodeJS.Timeout;
}

export class FlvStreamPool {
  readonly #entries = new Map<string, PoolEntry>();

  constructor(private readonly opts: FlvStreamPoolOptions) {}

  get size(): number {
    return this.#entries.size;
  }

  /** Adds a viewer to `c`'s stream (subscribing first if needed). */
  async watch(c: StreamCoordinates, sink: ViewerSink, protocol: ViewerProtocol): Promise<void> {
    const entry = this.#entry(c);
    clearTimeout(entry.release);
    await entry.ready;
    const m = this.opts.metrics;
    const bytes = m?.bytes.labels(protocol);
    m?.viewers.inc({ protocol });
    entry.stream.add(sink, {
      onBytes: (n) => bytes?.inc(n),
      onEnd: (reason) => {
        m?.viewers.dec({ protocol });
        m?.ended.inc({ protocol, reason });
        if (reason === 'slow') this.opts.log.warn({ streamPath: c.streamPath, protocol }, 'viewer cut: it fell too far behind (unsent bytes over the queue bound)');
        if (entry.stream.viewerCount === 0) this.#scheduleRelease(c.streamPath, entry);
      },
    });
  }

  #entry(c: StreamCoordinates): PoolEntry {
    const found = this.#entries.get(c.streamPath);
    if (found) return found;
    const skipped = (reason: string, n: number) => this.opts.metrics?.skipped.inc({ protocol: 'flv', reason }, n);
    const stream = new FlvLiveStream({
      streamPath: c.streamPath,
      maxQueueBytes: this.opts.maxQueueBytes ?? DEFAULT_VIEWER_QUEUE_BYTES,
      onSkipped: skipped,
      ...(this.opts.gopCacheBytes ? { gopCacheBytes: this.opts.gopCacheBytes } : {}),
      ...(this.opts.hevcForm ? { hevcForm: this.opts.hevcForm } : {}),
    });
    const entry: PoolEntry = { stream, ready: this.opts.bus.subscribeFrames({ streamKind: c.kind, sim: c.sim, channel: c.channel }, (f) => stream.push(f), { fromWindow: true }) };
    entry.ready.catch(() => this.#entries.delete(c.streamPath));
    this.#entries.set(c.streamPath, entry);
    this.opts.log.info({ streamPath: c.streamPath }, 'serving FLV');
    return entry;
  }

  #scheduleRelease(streamPath: string, entry: PoolEntry): void {
    clearTimeout(entry.release);
    entry.release = setTimeout(() => {
      if (entry.stream.viewerCount > 0 || this.#entries.get(streamPath) !== entry) return;
      this.#entries.delete(streamPath);
      void entry.ready.then((unsubscribe) => unsubscribe(), () => undefined);
      this.opts.log.info({ streamPath }, 'released FLV stream (no viewers)');
    }, this.opts.releaseAfterMs ?? 10_000);
    entry.release.unref();
  }

  close(): void {
    for (const entry of this.#entries.values()) {
      clearTimeout(entry.release);
      entry.stream.end('shutdown');
      void entry.ready.then((unsubscribe) => unsubscribe(), () => undefined);
    }
    this.#entries.clear();
  }
}
