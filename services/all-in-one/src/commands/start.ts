/**
 * `jt1078 start [--config FILE]`: every service in one process. Without NATS/Redis settings it
 * runs on the in-process bus and registry, plus the configured simulations; with them (or
 * NATS_URL / REDIS_URL) it joins a real cluster. The services are started by the same
 * functions, from the same mapping of the config (start-plan.ts), as the pod commands.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MemoryMediaBus, connectPodBus, type MediaBus } from '@jt1078/bus';
import { loadConfig, ConfigError, formatHostPort, parseHostPort, type Config } from '@jt1078/runtime/config';
import { HttpRouter, addOpsRoutes, serveRouter } from '@jt1078/runtime/http';
import { HealthState, ShutdownSequence, serviceShutdownOrder, type RunningService, type ShutdownStep } from '@jt1078/runtime/lifecycle';
import { checkStartup } from '@jt1078/runtime/pod';
import { createLogger, prettyLogs, type Logger } from '@jt1078/runtime/logger';
import { createMetricsRegistry } from '@jt1078/runtime/metrics';
import { MemoryPortLeaseStore, MemoryStreamRegistry, RedisPortLeaseStore, RedisStreamRegistry, type PortLeaseStore, type StreamRegistry } from '@jt1078/store';
import { startIngest, type IngestService } from '@jt1078/svc-ingest';
import { startTalkService } from '@jt1078/svc-intercom';
import { startPackager } from '@jt1078/svc-packager';
import { startWebhookRelay } from '@jt1078/svc-webhook';
import { addConsoleRoutes } from '../console/console-routes.js';
import { EventStream } from '../console/event-stream.js';
import { DependencyUnreachable, explainStartFailure } from './explain-start-failure.js';
import { readyBanner } from './ready-banner.js';
import { startPlan, type StartPlan } from './start-plan.js';
import { loadSimulations, startSimulations } from './start-simulations.js';

/** Connection failures that mean "nothing answers there" (not a server that refused us for a reason of its own). */
const UNREACHABLE = /refused|timeout|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/i;

export interface RunningCluster {
  readonly httpPort: number;
  /** Where a browser opens the console. */
  readonly consoleUrl: string;
  readonly ingest: IngestService;
  /** What SIGTERM/SIGINT runs, in serviceShutdownOrder. */
  readonly steps: readonly ShutdownStep[];
}

interface Connections {
  readonly bus: MediaBus;
  readonly registry: StreamRegistry;
  readonly leases: PortLeaseStore;
  /** Their closing steps, in order. */
  readonly steps: readonly ShutdownStep[];
}

/** The bus and stores of the plan: in-process, or NATS (through connectPodBus, as the pods) and Redis, checked reachable. */
async function connect(plan: StartPlan, process: { health: HealthState; log: Logger }, undo: Array<() => unknown>): Promise<Connections> {
  let bus: MediaBus;
  let registry: StreamRegistry;
  let leases: PortLeaseStore;
  if (!plan.cluster) {
    [bus, registry, leases] = [new MemoryMediaBus(), new MemoryStreamRegistry(), new MemoryPortLeaseStore()];
  } else {
    const { bus: natsOptions, stores } = plan.cluster;
    bus = await connectPodBus(natsOptions, process).catch((err: unknown) => Promise.reject(UNREACHABLE.test((err as Error).message) ? new DependencyUnreachable('NATS', natsOptions.url, { cause: err }) : err));
    undo.push(() => bus.close());
    registry = new RedisStreamRegistry(stores.redisUrl, stores.root);
    undo.push(() => registry.close());
    leases = new RedisPortLeaseStore(stores.redisUrl, stores.root);
    undo.push(() => leases.close());
    await registry.list().catch((err: unknown) => Promise.reject(new DependencyUnreachable('Redis', stores.redisUrl, { cause: err })));
  }
  return {
    bus, registry, leases,
    steps: [
      { name: 'drain NATS', run: () => bus.close() },
      { name: 'close registry', run: () => registry.close() },
      { name: 'close leases', run: () => leases.close() },
    ],
  };
}

/** A started service's steps, for undoing a start-up that failed later (a port in use). */
function undoing(service: RunningService): () => Promise<void> {
  return async () => {
    for (const step of [...service.steps, ...(service.release ?? [])]) await Promise.resolve().then(step.run).catch(() => undefined);
  };
}

export async function startAll(config: Config, log: Logger, opts: { defaultSimulation?: boolean } = {}): Promise<RunningCluster> {
  const plan = startPlan(config);
  const health = new HealthState();
  const metrics = createMetricsRegistry({ labels: { service: 'all-in-one', pod: plan.name } });
  const simulations = loadSimulations(config, opts.defaultSimulation ?? false);
  // What has started so far, closed in reverse when a later part fails (a port in use).
  const undo: Array<() => unknown> = [];
  try {
    const connections = await connect(plan, { health, log }, undo);
    const { bus, registry, leases } = connections;
    if (!plan.cluster) undo.push(() => bus.close(), () => registry.close(), () => leases.close());
    log.info({ mode: plan.cluster ? 'cluster (NATS + Redis)' : 'single process (in-process bus and registry)' }, 'starting');
    const child = (service: string) => log.child({ service });

    const ingest = await startIngest({ ...plan.ingest, bus, registry, metricsRegistry: metrics, log: child('ingest'), pod: plan.name });
    undo.push(undoing(ingest));
    const webhook = await startWebhookRelay({ ...plan.webhook, bus, log: child('webhook'), metricsRegistry: metrics });
    undo.push(undoing(webhook));
    const router = addOpsRoutes(new HttpRouter(), health, metrics);
    const packager = startPackager({ ...plan.packager, bus, registry, router, metricsRegistry: metrics, log: child('packager'), pod: plan.name });
    undo.push(undoing(packager));
    const talk = await startTalkService({ ...plan.intercom, bus, leases, router, metricsRegistry: metrics, log: child('intercom'), pod: plan.name });
    undo.push(undoing(talk));
    const events = new EventStream({ log: child('console'), metricsRegistry: metrics });
    const unwatch = await bus.watchEvents((e) => events.push(e));
    const consoleEvents: RunningService = {
      steps: [{
        name: 'close console events',
        run: () => {
          unwatch();
          events.close();
        },
      }],
    };
    undo.push(undoing(consoleEvents));

    addConsoleRoutes(router, events);
    const http = await serveRouter(router, config.cluster.http.addr);
    undo.push(() => http.close());
    await packager.serving?.();
    const host = parseHostPort(config.cluster.http.addr).host;
    const httpPort = (http.address() as { port: number }).port;
    const sims = startSimulations(simulations, config, ingest.service, log);
    return {
      httpPort,
      consoleUrl: `http://${formatHostPort(host === '0.0.0.0' || host === '' ? '127.0.0.1' : host, httpPort)}/`,
      ingest: ingest.service,
      // Simulations stop first; the ingest's leaves reach the relay before it stops; the browsers' held requests are cut.
      steps: serviceShutdownOrder({ health, services: [sims, ingest, talk, webhook, packager, consoleEvents], http, cutHttpConnections: true, connections: connections.steps }),
    };
  } catch (err) {
    for (const close of undo.reverse()) await Promise.resolve().then(close).catch(() => undefined);
    throw err;
  }
}

export async function startCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, 'print-config': { type: 'boolean', default: false } } });
  if (values.config !== undefined && !existsSync(values.config)) {
    process.stderr.write(
      `jt1078 start: no config file ${path.resolve(values.config)}. Give --config the path of a YAML file (an m7s-jt1078 config works unchanged), ` +
        'or leave --config out to start with the defaults and the shipped simulation.\n',
    );
    return 2;
  }
  let loaded;
  try {
    loaded = loadConfig(values.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`jt1078 start: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (values['print-config']) {
    process.stdout.write(`${JSON.stringify(loaded.config, null, 2)}\n`);
    return 0;
  }
  const config = loaded.config;
  const clustered = startPlan(config).mode === 'cluster';
  // Every listener and dependency before anything serves: all problems in one message, exit 1.
  const problems = await checkStartup(config, ['ingest', 'packager', 'intercom', 'webhook'], clustered ? { nats: true, redis: true, optional: true } : {});
  if (problems.length > 0) {
    process.stderr.write(`jt1078 start: ${problems.length === 1 ? problems[0] : `${problems.length} problems stop start-up:\n  - ${problems.join('\n  - ')}`}\n`);
    return 1;
  }
  const log = createLogger({ name: 'jt1078' });
  for (const n of loaded.notes) log.info(n);
  let running: RunningCluster;
  try {
    // A config file adds to the defaults: the shipped simulation stays unless it says `simulations: []`.
    running = await startAll(config, log, { defaultSimulation: !loaded.simulationsGiven });
  } catch (err) {
    process.stderr.write(`jt1078 start: ${explainStartFailure(err, loaded.config) ?? (err as Error).message}\n`);
    return 1;
  }
  if (prettyLogs()) process.stderr.write(readyBanner(config, running));
  else log.info({ http: running.consoleUrl }, 'jt1078 ready: open the console');
  const shutdown = new ShutdownSequence(log);
  shutdown.addSteps(running.steps);
  shutdown.installSignalHandlers();
  await new Promise(() => {});
  return 0;
}
