/**
 * `jt1078 start [--config FILE]`: every service in one process. Without NATS/Redis settings it
 * runs on the in-process bus and registry, plus the configured simulations; with them (or
 * NATS_URL / REDIS_URL) it joins a real cluster.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MemoryMediaBus, NatsMediaBus, type MediaBus } from '@jt1078/bus';
import { readCapture } from '@jt1078/jt1078';
import { loadConfig, ConfigError, type Config } from '@jt1078/runtime/config';
import { HttpRouter, addOpsRoutes, serveRouter } from '@jt1078/runtime/http';
import { HealthState, ShutdownSequence } from '@jt1078/runtime/lifecycle';
import { createLogger, type Logger } from '@jt1078/runtime/logger';
import { createMetricsRegistry } from '@jt1078/runtime/metrics';
import { MemoryStreamRegistry, RedisStreamRegistry, type StreamRegistry } from '@jt1078/store';
import { IngestService, splitAddr } from '@jt1078/svc-ingest';
import { LiveStreamPool, addHlsRoutes } from '@jt1078/svc-packager';
import { CaptureReplay, SimulatedDevice, loadCapturePackets, parseHostPort } from '@jt1078/svc-simulator';
import { startWebhookRelay } from '@jt1078/svc-webhook';

const ROOT = path.resolve(import.meta.dirname, '../../../..');
const PUBLIC = path.resolve(import.meta.dirname, '../../public');
const require = createRequire(import.meta.url);

/** With no --config: the defaults, plus a simulation of a capture the project ships. */
const DEFAULT_SIMULATION = path.join(ROOT, 'testdata/media/h264-g711u.bin');

export interface RunningCluster {
  readonly httpPort: number;
  readonly ingest: IngestService;
  stop(): Promise<void>;
}

export async function startAll(config: Config, log: Logger, opts: { defaultSimulation?: boolean } = {}): Promise<RunningCluster> {
  const pod = config.cluster.pod.name || hostname();
  const health = new HealthState();
  const metrics = createMetricsRegistry({ labels: { service: 'all-in-one', pod } });
  const clustered = Boolean(config.cluster.nats.url && config.cluster.redis.url);
  const bus: MediaBus = clustered
    ? await NatsMediaBus.connect({ url: config.cluster.nats.url, root: config.cluster.nats.subject_root, name: pod, onStatus: (s) => (s === 'disconnected' ? health.block('nats', 'disconnected') : health.unblock('nats')) })
    : new MemoryMediaBus();
  const registry: StreamRegistry = clustered ? new RedisStreamRegistry(config.cluster.redis.url, config.cluster.nats.subject_root) : new MemoryStreamRegistry();
  log.info({ mode: clustered ? 'cluster (NATS + Redis)' : 'single process (in-process bus and registry)' }, 'starting');

  const ingest = new IngestService({ config, bus, registry, metricsRegistry: metrics, log: log.child({ service: 'ingest' }), pod });
  await ingest.start();
  const pool = new LiveStreamPool({ bus, log: log.child({ service: 'packager' }), partMs: config.cluster.hls.part_ms, segmentMs: config.cluster.hls.segment_ms, announceAs: pod });
  const webhook = await startWebhookRelay({ config, bus, log: log.child({ service: 'webhook' }), metricsRegistry: metrics });

  const router = addOpsRoutes(new HttpRouter(), health, metrics);
  addHlsRoutes(router, { pool, registry, prefixes: { realtime: config.jt1078.realtime.prefix, playback: config.jt1078.playback.prefix } });
  const indexHtml = readFileSync(path.join(PUBLIC, 'index.html'));
  const hlsJs = readFileSync(require.resolve('hls.js/dist/hls.min.js'));
  router.on('GET', '/', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' });
    res.end(indexHtml);
  });
  router.on('GET', '/vendor/hls.min.js', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=86400' });
    res.end(hlsJs);
  });
  const http = await serveRouter(router, config.cluster.http.addr);
  const host = splitAddr(config.cluster.http.addr).host;
  const httpPort = (http.address() as { port: number }).port;

  const sims = [...config.jt1078.simulations];
  if (opts.defaultSimulation && sims.length === 0) sims.push({ name: DEFAULT_SIMULATION, addr: `127.0.0.1:${ingest.server.addresses().live.tcp}` });
  const devices = sims.map((s) => {
    const target = parseHostPort(s.addr);
    // A simulation aimed at the configured listener follows it when the port was 0 (tests).
    const live = splitAddr(config.jt1078.realtime.addr);
    const port = target.port === live.port ? ingest.server.addresses().live.tcp : target.port === splitAddr(config.jt1078.playback.addr).port ? ingest.server.addresses().playback.tcp : target.port;
    const file = path.isAbsolute(s.name) ? s.name : path.resolve(process.cwd(), s.name);
    const device = new SimulatedDevice({ host: target.host, port, replay: new CaptureReplay(loadCapturePackets(readCapture(file)), { loop: true }) });
    void device.start();
    log.info({ file, addr: `${target.host}:${port}` }, 'simulation started');
    return device;
  });
  log.info({ http: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${httpPort}/` }, 'jt1078 ready: open the console');

  return {
    httpPort,
    ingest,
    stop: async () => {
      health.startDraining();
      for (const d of devices) d.stop();
      await ingest.drain(0);
      // The leave events just emitted are in the in-process bus only: give the relay a moment
      // to post them before the process goes (on NATS they would wait in JetStream instead).
      const deadline = Date.now() + 5000;
      while (!clustered && webhook.dispatcher.pending > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      webhook.stop();
      pool.close();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
      await bus.close();
      await registry.close();
    },
  };
}

export async function startCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, 'print-config': { type: 'boolean', default: false } } });
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
  const log = createLogger({ name: 'jt1078' });
  for (const n of loaded.notes) log.info(n);
  const running = await startAll(loaded.config, log, { defaultSimulation: values.config === undefined });
  const shutdown = new ShutdownSequence(log);
  shutdown.add('stop', () => running.stop(), 30_000);
  shutdown.installSignalHandlers();
  await new Promise(() => {});
  return 0;
}
