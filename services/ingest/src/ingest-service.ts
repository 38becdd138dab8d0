/**
 * The ingest as a process runs it: listeners, the bus and registry behind the narrow ports, the
 * reaper that emits the leave of streams whose pod died, and /healthz /readyz /metrics.
 */
import type { EventEnvelope, MediaBus } from '@jt1078/bus';
import type { Config } from '@jt1078/runtime/config';
import type { Logger } from '@jt1078/runtime/logger';
import { formatCallbackTime } from '@jt1078/runtime/time';
import type { StreamRegistry } from '@jt1078/store';
import { Gauge, type Registry } from '@jt1078/runtime/metrics';
import type { EventPublisher, FramePublisher, StreamNameClaims } from './ingest-ports.js';
import { createIngestMetrics, type IngestMetrics } from './ingest-metrics.js';
import { IngestServer } from './ingest-server.js';
import { streamEventId } from './stream-event-id.js';


/** How often streams are checked against overtime_second. */
const OVERTIME_CHECK_MS = 1000;

export interface IngestServiceDeps {
  readonly config: Config;
  readonly bus: MediaBus;
  readonly registry: StreamRegistry;
  readonly metricsRegistry: Registry;
  readonly log: Logger;
  readonly pod: string;
}

export class IngestService {
  readonly server: IngestServer;
  readonly metrics: IngestMetrics;
  #reaper: NodeJS.Timeout | undefined;
  #overtime: NodeJS.Timeout | undefined;
  #unsubscribeViewers: (() => void) | undefined;
  /** Last time a packager said a stream had viewers (ms), by stream path. */
  readonly #lastViewer = new Map<string, number>();

  constructor(private readonly deps: IngestServiceDeps) {
    const bus = deps.bus;
    this.metrics = createIngestMetrics(deps.metricsRegistry, {
      pressure: () => bus.pressure(),
      // Only the NATS bus buffers what it publishes; the in-process one hands frames over at once.
      unsentBytes: () => ('unsentBytes' in bus && typeof bus.unsentBytes === 'number' ? bus.unsentBytes : 0),
      dropped: () => bus.stats.dropped,
    }, () => this.server.flushCounts());
    const publisher: FramePublisher = {
      publishFrame: (frame) => deps.bus.publishFrame(frame),
      pressure: () => deps.bus.pressure(),
    };
    const events: EventPublisher = {
      publishEvent: async (e) => {
        try {
          await deps.bus.publishEvent({ ...e, occurredAt: Date.now() });
          this.metrics.events.inc({ type: e.type, action: e.action, result: 'stored' });
        } catch (err) {
          this.metrics.events.inc({ type: e.type, action: e.action, result: 'failed' });
          throw err;
        }
      },
    };
    const claims: StreamNameClaims = deps.registry;
    this.server = new IngestServer({ config: deps.config, pod: deps.pod, publisher, events, claims, metrics: this.metrics, log: deps.log });
    const budget = this.server.podBudget;
    new Gauge({ name: 'jt1078_ingest_unfinished_frame_bytes', help: 'Bytes held in frames still being reassembled, all connections (capped by cluster.ingest.max_unfinished_bytes)', registers: [deps.metricsRegistry], collect() { this.set(budget.usedBytes); } });
  }

  async start(): Promise<void> {
    await this.server.listen();
    const ttlMs = this.deps.config.cluster.ingest.registry_ttl_second * 1000;
    this.#reaper = setInterval(() => void this.reap(), Math.max(500, ttlMs / 3));
    this.#reaper.unref();
    const { realtime, playback } = this.deps.config.jt1078;
    if (realtime.overtime_second > 0 || playback.overtime_second > 0) {
      this.#unsubscribeViewers = await this.deps.bus.subscribeViewers({}, (n) => {
        if (n.viewers > 0) this.#lastViewer.set(n.streamPath, Date.now());
      });
      this.#overtime = setInterval(() => void this.closeOvertime(), OVERTIME_CHECK_MS);
      this.#overtime.unref();
    }
  }

  /**
   * `overtime_second` (m7s-jt1078): a stream that has had viewers and has had none for that long
   * is closed, so the device stops sending (the JT808 platform sends 0x9101 again when someone
   * wants to watch). A stream nobody ever watched is left alone.
   */
  async closeOvertime(now = Date.now()): Promise<number> {
    let closed = 0;
    for (const s of this.server.liveStreams()) {
      const limit = (s.kind === 'live' ? this.deps.config.jt1078.realtime : this.deps.config.jt1078.playback).overtime_second * 1000;
      const last = this.#lastViewer.get(s.streamPath);
      if (limit <= 0 || last === undefined || now - last <= limit) continue;
      this.#lastViewer.delete(s.streamPath);
      this.deps.log.info({ stream: s.streamPath, idleMs: now - last }, 'no viewers for overtime_second: closing the stream');
      if (await this.server.closeStream(s.streamPath, `overtime (no viewers for ${((now - last) / 1000).toFixed(3)}s)`)) closed++;
    }
    return closed;
  }

  /** Emits the leave of every stream whose owner stopped renewing it (its pod died). */
  async reap(): Promise<number> {
    let entries;
    try {
      entries = await this.deps.registry.reapExpired();
    } catch (err) {
      this.deps.log.warn({ err }, 'registry reap failed; will retry');
      return 0;
    }
    for (const e of entries) {
      const type = e.kind === 'live' ? 'realtime' : 'playback';
      const leave: EventEnvelope = {
        id: streamEventId(e.connectionId, e.sim, e.channel, 'leave'),
        type,
        action: 'leave',
        streamKey: e.name,
        // The claim stored the join body before the name was decided: the entry's name is the truth.
        body: { ...e.joinBody, streamPath: e.name, endTime: formatCallbackTime(new Date()) },
        occurredAt: Date.now(),
      };
      this.deps.log.warn({ stream: e.name, pod: e.pod }, 'stream expired in the registry (its pod stopped renewing): emitting its leave');
      try {
        await this.deps.bus.publishEvent(leave);
        this.metrics.events.inc({ type, action: 'leave', result: 'reaped' });
      } catch (err) {
        this.deps.log.error({ err, stream: e.name }, 'leave of an expired stream could not be stored');
      }
    }
    return entries.length;
  }

  async drain(graceMs: number): Promise<void> {
    clearInterval(this.#reaper);
    clearInterval(this.#overtime);
    this.#unsubscribeViewers?.();
    await this.server.drain(graceMs);
  }

  async close(): Promise<void> {
    clearInterval(this.#reaper);
    clearInterval(this.#overtime);
    this.#unsubscribeViewers?.();
    await this.server.close();
  }
}
