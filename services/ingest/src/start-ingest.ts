/**
 * The ingest as `jt1078 ingest` and `jt1078 start` compose it: the service on the caller's bus
 * and registry, listening, with its shutdown step. The caller owns the bus, the registry and
 * the HTTP server; ingestOptions is the one reading of the config keys the composition needs.
 */
import type { MediaBus } from '@jt1078/bus';
import type { Config } from '@jt1078/runtime/config';
import type { RunningService } from '@jt1078/runtime/lifecycle';
import type { Logger } from '@jt1078/runtime/logger';
import type { Registry } from '@jt1078/runtime/metrics';
import type { ProcessMode } from '@jt1078/runtime/pod';
import type { StreamRegistry } from '@jt1078/store';
import { IngestService } from './ingest-service.js';

/** What the composition reads from the config; the service reads the rest of `config` itself. */
export interface IngestOptions {
  readonly config: Config;
  /** On SIGTERM, open device connections get this long before they are closed (cluster.ingest.drain_grace_second). */
  readonly drainGraceMs: number;
}

/**
 * A process alone closes at once on SIGTERM: its devices have no other pod to move to during a
 * grace, and Ctrl-C on `jt1078 start` must not wait for them.
 */
export function ingestOptions(config: Config, mode: ProcessMode): IngestOptions {
  return { config, drainGraceMs: mode === 'cluster' ? config.cluster.ingest.drain_grace_second * 1000 : 0 };
}

export interface IngestDeps extends IngestOptions {
  readonly bus: MediaBus;
  readonly registry: StreamRegistry;
  readonly metricsRegistry: Registry;
  readonly log: Logger;
  readonly pod: string;
}

export interface RunningIngest extends RunningService {
  readonly service: IngestService;
}

/** Margin over the grace for the leaves of the closed connections to reach JetStream (OUTBOX_DRAIN_MS). */
const DRAIN_MARGIN_MS = 10_000;

export async function startIngest(deps: IngestDeps): Promise<RunningIngest> {
  const service = new IngestService(deps);
  try {
    await service.start();
  } catch (err) {
    // A port in use: nothing may linger (timers, half-open listeners) once the caller gives up.
    await service.close().catch(() => undefined);
    throw err;
  }
  return {
    service,
    steps: [{ name: 'drain device connections', run: () => service.drain(deps.drainGraceMs), timeoutMs: deps.drainGraceMs + DRAIN_MARGIN_MS }],
  };
}
