/**
 * The ingest as a process runs it: listeners, the bus and registry behind the narrow ports, the
 * reaper that emits the leave of streams whose pod died, and /healthz /readyz /metrics.
 */
import { EventOutbox, registerEventOutboxGauge, type EventEnvelope, type MediaBus } from '@jt1078/bus';
import type { Config } from '@jt1078/runtime/config';
import type { Logger } from '@jt1078/runtime/logger';
import type { StreamRegistry } from '@jt1078/store';
import { Gauge, type Registry } from '@jt1078/runtime/metrics';
import type { EventPublisher, FramePublisher, StreamNameClaims } from './ingest-ports.js';
import { createIngestMetrics, type IngestMetrics } from './ingest-metrics.js';
import { IngestServer } from './ingest-server.js';
import { orphanLeave } from './orphan-leave.js';
import { PodLiveness } from './pod-liveness.js';


/** How often streams are checked against overtime_second. */
const OVERTIME_CHECK_MS = 1000;
/** After the connections are closed on SIGTERM, their leaves get this long to reach JetStream (within the shutdown step's 10 s margin). */
export const OUTBOX_DRAIN_MS = 8000;

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
  /** Join/leave events on their way to JetStream: held and retried while NATS cannot store them. */
  readonly outbox: EventOutbox;
  #reaper: NodeJS.Timeout | undefined;
  #overtime: NodeJS.Timeout | undefined;
  #unsubscribeViewers: (() => void) | undefined;
  #liveness: PodLiveness | undefined;
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
    this.outbox = new EventOutbox({
      bus: deps.bus,
      maxEvents: deps.config.cluster.nats.outbox_max_events,
      onOutage: (down, err) => (down
        ? deps.log.warn({ err }, 'events cannot be stored (NATS): holding them in the outbox, retrying until JetStream acknowledges')
        : deps.log.info({ pending: this.outbox.pending }, 'events are stored again: the outbox is catching up')),
      onLost: (e, reason) => {
        this.metrics.events.inc({ type: e.type, action: e.action, result: reason });
        deps.log.error({ id: e.id, type: e.type, action: e.action, stream: e.streamKey, reason }, 'event lost: the outbox could not keep it');
      },
    });
    const outbox = this.outbox;
    registerEventOutboxGauge(outbox, deps.metricsRegistry, 'jt1078_ingest_event_outbox', 'Join/leave events');
    bus.onStatus((status) => status === 'reconnected' && outbox.retryNow());
    const events: EventPublisher = {
      publishEvent: async (e) => {
        const taken = this.outbox.take({ ...e, occurredAt: Date.now() });
        if (!taken.accepted) throw taken.error;
        void taken.stored.then(() => this.metrics.events.inc({ type: e.type, action: e.action, result: 'stored' }));
      },
    };
    const claims: StreamNameClaims = deps.registry;
    this.server = new IngestServer({ config: deps.config, pod: deps.pod, publisher, events, claims, metrics: this.metrics, log: deps.log });
    const budget = this.server.podBudget;
    new Gauge({ name: 'jt1078_ingest_unfinished_frame_bytes', help: 'Bytes held in frames still being reassembled, all connections (capped by cluster.ingest.max_unfinished_bytes)', registers: [deps.metricsRegistry], collect() { this.set(budget.usedBytes); } });
  }

  async start(): Promise<void> {
    this.#liveness = new PodLiveness(this.deps.registry, this.deps.pod, this.deps.log);
    await this.#liveness.start();
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
      const leave: EventEnvelope = { ...orphanLeave(e, new Date()), occurredAt: Date.now() };
      this.deps.log.warn({ stream: e.name, pod: e.pod }, 'stream expired in the registry (its pod stopped renewing): emitting its leave');
      // Through the outbox: the reaped entry is gone from the registry, so this is its only leave.
      if (this.outbox.take(leave).accepted) this.metrics.events.inc({ type, action: 'leave', result: 'reaped' });
    }
    return entries.length;
  }

  async drain(graceMs: number): Promise<void> {
    clearInterval(this.#reaper);
    clearInterval(this.#overtime);
    this.#unsubscribeViewers?.();
    await this.server.drain(graceMs);
    await this.#drainOutbox(OUTBOX_DRAIN_MS);
    // Alive until its streams have ended cleanly: their names are released, not taken over.
    this.#liveness?.stop();
  }

  async #drainOutbox(timeoutMs: number): Promise<void> {
    const pending = this.outbox.pending;
    const { stored, lost } = await this.outbox.drain(timeoutMs);
    if (pending > 0 || lost > 0) this.deps.log[lost > 0 ? 'error' : 'info']({ pending, stored, lost }, 'event outbox drained');
  }

  async close(): Promise<void> {
    this.#liveness?.stop();
    clearInterval(this.#reaper);
    clearInterval(this.#overtime);
    this.#unsubscribeViewers?.();
    await this.server.close();
    await this.#drainOutbox(2000);
  }
}
