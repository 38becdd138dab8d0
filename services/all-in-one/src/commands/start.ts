/**
 * `jt1078 start [--config FILE]`: every service in one process. Without NATS/Redis settings it
 * runs on the in-process bus and registry, plus the configured simulations; with them (or
 * NATS_URL / REDIS_URL) it joins a real cluster.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MemoryMediaBus, NatsMediaBus, type MediaBus } from '@jt1078/bus';
import { loadConfig, ConfigError, type Config } from '@jt1078/runtime/config';
import { HttpRouter, addOpsRoutes, serveRouter } from '@jt1078/runtime/http';
import { HealthState, ShutdownSequence } from '@jt1078/runtime/lifecycle';
import { checkStartup } from '@jt1078/runtime/pod';
import { createLogger, prettyLogs, type Logger } from '@jt1078/runtime/logger';
import { createMetricsRegistry } from '@jt1078/runtime/metrics';
import { MemoryPortLeaseStore, MemoryStreamRegistry, RedisPortLeaseStore, RedisStreamRegistry, type PortLeaseStore, type StreamRegistry } from '@jt1078/store';
import { IngestService, splitAddr } from '@jt1078/svc-ingest';
import { startTalkService } from '@jt1078/svc-intercom';
import { startPackager } from '@jt1078/svc-packager';
import { CaptureReplay, SimulatedDevice, loadCapturePackets, parseHostPort, type CapturePackets } from '@jt1078/svc-simulator';
import { startWebhookRelay } from '@jt1078/svc-webhook';
import { addConsoleRoutes } from '../console/console-routes.js';
import { EventStream } from '../console/event-stream.js';
import { DependencyUnreachable, explainStartFailure } from './explain-start-failure.js';
import { readyBanner } from './ready-banner.js';
import { readCaptureFile } from './read-capture-file.js';

const ROOT = path.resolve(import.meta.dirname, '../../../..');

/** With no --config: the defaults, plus a simulation of a capture the project ships. */
const DEFAULT_SIMULATION = path.join(ROOT, 'testdata/media/h264-g711u.bin');

/** Connection failures that mean "nothing answers there" (not a server that refused us for a reason of its own). */
const UNREACHABLE = /refused|timeout|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/i;

export interface RunningCluster {
  readonly httpPort: number;
  /** Where a browser opens the console. */
  readonly consoleUrl: string;
  readonly ingest: IngestService;
  stop(): Promise<void>;
}

async function connectBus(config: Config, pod: string, health: HealthState): Promise<MediaBus> {
  const url = config.cluster.nats.url;
  try {
    return await NatsMediaBus.connect({ url, root: config.cluster.nats.subject_root, name: pod, onStatus: (s) => (s === 'disconnected' ? health.block('nats', 'disconnected') : health.unblock('nats')) });
  } catch (err) {
    throw UNREACHABLE.test((err as Error).message) ? new DependencyUnreachable('NATS', url, { cause: err }) : err;
  }
}

/** Every simulation's capture, read before anything listens: a wrong path stops start-up naming its key. */
function loadSimulations(config: Config, useDefault: boolean): Array<{ readonly file: string; readonly addr: string | undefined; readonly capture: CapturePackets }> {
  const sims: Array<{ file: string; addr: string | undefined; key: string }> = config.jt1078.simulations.map((s, i) => ({
    file: path.isAbsolute(s.name) ? s.name : path.resolve(process.cwd(), s.name),
    addr: s.addr,
    key: `jt1078.simulations[${i}].name`,
  }));
  if (useDefault && sims.length === 0) sims.push({ file: DEFAULT_SIMULATION, addr: undefined, key: 'the shipped simulation' });
  return sims.map((s) => {
    const bytes = readCaptureFile(s.file, s.key);
    try {
      return { file: s.file, addr: s.addr, capture: loadCapturePackets(bytes) };
    } catch (err) {
      throw new Error(`${s.key}: ${s.file}: ${(err as Error).message}. Give a JT1078 capture (binary or m7s-jt1078 hex text).`, { cause: err });
    }
  });
}

export async function startAll(config: Config, log: Logger, opts: { defaultSimulation?: boolean } = {}): Promise<RunningCluster> {
  const pod = config.cluster.pod.name || hostname();
  const health = new HealthState();
  const metrics = createMetricsRegistry({ labels: { service: 'all-in-one', pod } });
  const clustered = Boolean(config.cluster.nats.url && config.cluster.redis.url);
  const simulations = loadSimulations(config, opts.defaultSimulation ?? false);
  // What has started so far, closed in reverse when a later part fails (a port in use).
  const undo: Array<() => unknown> = [];
  try {
    const bus: MediaBus = clustered ? await connectBus(config, pod, health) : new MemoryMediaBus();
    undo.push(() => bus.close());
    const registry: StreamRegistry = clustered ? new RedisStreamRegistry(config.cluster.redis.url, config.cluster.nats.subject_root) : new MemoryStreamRegistry();
    undo.push(() => registry.close());
    const leases: PortLeaseStore = clustered ? new RedisPortLeaseStore(config.cluster.redis.url, config.cluster.nats.subject_root) : new MemoryPortLeaseStore();
    undo.push(() => leases.close());
    if (clustered) await registry.list().catch((err: unknown) => Promise.reject(new DependencyUnreachable('Redis', config.cluster.redis.url, { cause: err })));
    log.info({ mode: clustered ? 'cluster (NATS + Redis)' : 'single process (in-process bus and registry)' }, 'starting');

    const ingest = new IngestService({ config, bus, registry, metricsRegistry: metrics, log: log.child({ service: 'ingest' }), pod });
    await ingest.start();
    undo.push(() => ingest.drain(0));
    const webhook = await startWebhookRelay({ config, bus, log: log.child({ service: 'webhook' }), metricsRegistry: metrics });
    undo.push(() => webhook.stop());
    const router = addOpsRoutes(new HttpRouter(), health, metrics);
    const pool = startPackager({ config, bus, registry, router, metricsRegistry: metrics, log: log.child({ service: 'packager' }), pod });
    undo.push(() => pool.close());

    const { intercom, webrtc } = await startTalkService({ config, bus, leases, router, metricsRegistry: metrics, log: log.child({ service: 'intercom' }), pod });
    undo.push(() => intercom.stop(), () => webrtc()?.close());
    const events = new EventStream({ log: log.child({ service: 'console' }), metricsRegistry: metrics });
    undo.push(() => events.close());
    undo.push(await bus.watchEvents((e) => events.push(e)));

    addConsoleRoutes(router, events);
    const http = await serveRouter(router, config.cluster.http.addr);
    const host = splitAddr(config.cluster.http.addr).host;
    const httpPort = (http.address() as { port: number }).port;

    const live = ingest.server.addresses().live.tcp;
    const playback = ingest.server.addresses().playback.tcp;
    const devices = simulations.map((s) => {
      // A simulation aimed at a configured listener follows it when the port was 0 (tests).
      const target = s.addr === undefined ? { host: '127.0.0.1', port: live } : parseHostPort(s.addr);
      const port = target.port === splitAddr(config.jt1078.realtime.addr).port ? live : target.port === splitAddr(config.jt1078.playback.addr).port ? playback : target.port;
      const device = new SimulatedDevice({ host: target.host, port, replay: new CaptureReplay(s.capture, { loop: true }) });
      void device.start();
      log.info({ file: s.file, addr: `${target.host}:${port}` }, 'simulation started');
      return device;
    });
    return {
      httpPort,
      consoleUrl: `http://${host === '0.0.0.0' || host === '' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${httpPort}/`,
      ingest,
      stop: async () => {
        health.startDraining();
        for (const d of devices) d.stop();
        await Promise.all([ingest.drain(0), intercom.drain(0)]);
        await webrtc()?.close();
        // The leave events just emitted are in the in-process bus only: give the relay a moment
        // to post them before the process goes (on NATS they would wait in JetStream instead).
        const deadline = Date.now() + 5000;
        while (!clustered && webhook.dispatcher.pending > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        webhook.stop();
        events.close();
        pool.close();
        http.closeAllConnections();
        await new Promise<void>((r) => http.close(() => r()));
        await bus.close();
        await registry.close();
        await leases.close();
      },
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
  const clustered = Boolean(config.cluster.nats.url && config.cluster.redis.url);
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
  shutdown.add('stop', () => running.stop(), 30_000);
  shutdown.installSignalHandlers();
  await new Promise(() => {});
  return 0;
}
