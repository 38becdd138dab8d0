/**
 * The ingest as a process runs it: listeners, the bus and registry behind the narrow ports, the
 * reaper that emits the leave of streams whose pod died, and /healthz /readyz /metrics.
 */
import type { EventEnvelope, MediaBus } from '@jt1078/bus';
import type { Config } from '@jt1078/runtime/config';
import type { Logger } from '@jt1078/runtime/logger';
import { formatCallbackTime } from '@jt1078/runtime/time';
import type { StreamRegistry } from '@jt1078/store';
import type { Registry } from '@jt1078/runtime/metrics';
import type { EventPublisher, FramePublisher, StreamNameClaims } from './ingest-ports.js';
import { createIngestMetrics, type IngestMetrics } from './ingest-metrics.js';
import { IngestServer } from './ingest-server.js';
import { streamEventId } from './stream-event-id.js';


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

  constructor(private readonly deps: IngestServiceDeps) {
    this.metrics = createIngestMetrics(deps.metricsRegistry);
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
  }

  async start(): Promise<void> {
    await this.server.listen();
    const ttlMs = this.deps.config.cluster.ingest.registry_ttl_second * 1000;
    this.#reaper = setInterval(() => void this.reap(), Math.max(500, ttlMs / 3));
    this.#reaper.unref();
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
    await this.server.drain(graceMs);
  }

  async close(): Promise<void> {
    clearInterval(this.#reaper);
    await this.server.close();
  }
}
