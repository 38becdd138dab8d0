/**
 * The process-level fuzz: mutated packets and streams (UDP and TCP to the ingest, TCP to a leased
 * intercom audio port) and mutated HTTP requests (packager, intercom, ingest and webhook ops
 * routes) against real processes, while a healthy device streams a capture beside them. The
 * report says whether every process stayed up, how much RSS each reached, every HTTP status, and
 * whether the healthy stream lost a frame.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { NatsMediaBus } from '@jt1078/bus';
import { readCapture } from '@jt1078/jt1078';
import { G711_CAPTURE, GENERATED_CAPTURES, H264_CAPTURE, framesOf } from '@jt1078/jt1078/testdata';
import { RedisKeyspace, connectRedis } from '@jt1078/store';
import { CaptureReplay, SimulatedDevice, loadCapturePackets } from '@jt1078/svc-simulator';
import { capturePacketBytes } from './capture-packet-bytes.js';
import { startFuzzCluster } from './fuzz-cluster.js';
import { HttpFuzzer, type HttpFuzzStats } from './http-fuzzer.js';
import { NetMutator, Prng } from './net-mutator.js';

/** The healthy device: a SIM no mutation produces (NetMutator and HttpFuzzer keep away from it). */
export const HEALTHY_SIM = '019999999999';
const HEALTHY_SIM_BCD = Uint8Array.from([0x01, 0x99, 0x99, 0x99, 0x99, 0x99]);
/** TCP streams (ingest and audio port) open at once. */
const TCP_CONCURRENCY = 8;
const HTTP_CONCURRENCY = 16;

export interface NetFuzzOptions {
  /** Mutated packets in all (UDP datagrams carry 1-3, TCP streams 20-80). */
  readonly packets: number;
  readonly httpRequests: number;
  readonly seed?: number;
  readonly natsUrl: string;
  readonly redisUrl: string;
  readonly log?: (line: string) => void;
}

export interface NetFuzzReport {
  readonly seed: number;
  readonly seconds: number;
  readonly packets: number;
  readonly datagrams: number;
  readonly tcpStreams: number;
  readonly audioStreams: number;
  readonly http: HttpFuzzStats;
  readonly healthy: { readonly runs: number; readonly expectedFrames: number; readonly receivedFrames: number; readonly lostFrames: number };
  readonly processes: ReadonlyArray<{ readonly service: string; readonly alive: boolean; readonly healthz: number; readonly peakRssBytes: number }>;
}

export async function runNetFuzz(o: NetFuzzOptions): Promise<NetFuzzReport> {
  const seed = o.seed ?? randomBytes(4).readUInt32BE();
  const log = o.log ?? (() => {});
  const rng = new Prng(seed);
  const seeds = [readCapture(G711_CAPTURE), readCapture(H264_CAPTURE), ...Object.values(GENERATED_CAPTURES).map((make) => make())].flatMap(capturePacketBytes);
  const mutator = new NetMutator(rng, seeds, HEALTHY_SIM_BCD);
  const http = new HttpFuzzer(new Prng(seed ^ 0x5bd1e995), HEALTHY_SIM);
  const root = `fuzz${randomBytes(4).toString('hex')}`;
  const cluster = await startFuzzCluster({ natsUrl: o.natsUrl, redisUrl: o.redisUrl, root });
  const bus = await NatsMediaBus.connect({ url: o.natsUrl, root });
  const started = performance.now();
  const sampler = setInterval(() => cluster.sample(), 500);
  try {
    // The healthy device: the G.711 capture, replayed again and again, one connection per run.
    const healthyCapture = loadCapturePackets(readCapture(G711_CAPTURE));
    const expectedPerRun = framesOf(readCapture(G711_CAPTURE)).filter((f) => f.codec !== undefined).length;
    const perConnection = new Map<string, number>();
    await bus.subscribeFrames({ streamKind: 'live', sim: HEALTHY_SIM, channel: 1 }, (f) => perConnection.set(f.connectionId, (perConnection.get(f.connectionId) ?? 0) + 1));
    let fuzzing = true;
    let runs = 0;
    const healthy = (async () => {
      while (fuzzing) {
        await new SimulatedDevice({ host: '127.0.0.1', port: cluster.ingestPort, reconnect: false, replay: new CaptureReplay(healthyCapture, { sim: HEALTHY_SIM, loop: false }) }).start();
        runs++;
      }
    })();

    const intercomUrl = cluster.byService('intercom').process.url;
    const lease = () => fetch(`${intercomUrl}/api/v1/intercom/leases`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ sim: '013900000777', channel: 1 }) }).then((r) => r.body?.cancel(), () => undefined);
    await lease();

    // HTTP: workers share the count; most requests go to the packager and the intercom.
    const ports = {
      packager: new URL(cluster.byService('packager').process.url).port,
      intercom: new URL(intercomUrl).port,
      ingest: new URL(cluster.byService('ingest').process.url).port,
      webhook: new URL(cluster.byService('webhook').process.url).port,
    };
    let httpLeft = o.httpRequests;
    const httpWorkers = Array.from({ length: HTTP_CONCURRENCY }, async () => {
      while (httpLeft-- > 0) {
        const r = rng.int(10);
        await http.one(Number(r < 5 ? ports.packager : r < 8 ? ports.intercom : r < 9 ? ports.ingest : ports.webhook));
      }
    });

    // Device bytes.
    const udp = createSocket('udp4');
    udp.on('error', () => {});
    let packets = 0;
    let datagrams = 0;
    let tcpStreams = 0;
    let audioStreams = 0;
    const open = new Set<Promise<void>>();
    const tcp = (port: number, bytes: Uint8Array): Promise<void> => new Promise((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      const done = () => {
        clearTimeout(timer);
        s.destroy();
        resolve();
      };
      const timer = setTimeout(done, 3000);
      s.on('error', done);
      s.on('close', done);
      s.on('connect', () => s.end(bytes));
      s.resume();
    });
    let lastLog = performance.now();
    while (packets < o.packets) {
      const kind = rng.int(100);
      if (kind < 45) {
        const n = 1 + rng.int(3);
        const parts = Array.from({ length: n }, () => mutator.packet());
        await new Promise<void>((resolve) => udp.send(Buffer.concat(parts), cluster.ingestPort, '127.0.0.1', () => resolve()));
        packets += n;
        datagrams++;
        // UDP has no back-pressure: a breath now and then keeps the test from measuring only socket drops.
        if (datagrams % 64 === 0) await new Promise((r) => setImmediate(r));
      } else {
        const audio = kind >= 90;
        const { bytes, packets: n } = mutator.stream(20 + rng.int(60));
        if (audio && ++audioStreams % 25 === 0) await lease();
        if (!audio) tcpStreams++;
        const p = tcp(audio ? cluster.audioPort : cluster.ingestPort, bytes).finally(() => open.delete(p));
        open.add(p);
        packets += n;
        if (open.size >= TCP_CONCURRENCY) await Promise.race(open);
      }
      if (performance.now() - lastLog > 5000) {
        lastLog = performance.now();
        log(`fuzz-net: ${packets} packets, ${http.stats.requests} HTTP requests`);
      }
    }
    await Promise.all(open);
    const progress = setInterval(() => log(`fuzz-net: packets done, ${http.stats.requests} HTTP requests`), 10_000);
    await Promise.all(httpWorkers).finally(() => clearInterval(progress));
    udp.close();
    fuzzing = false;
    await healthy;
    // Every frame of every healthy run arrives (or the wait ends and the shortfall is reported).
    const end = performance.now() + 15_000;
    const received = () => [...perConnection.values()].reduce((a, b) => a + b, 0);
    while (received() < runs * expectedPerRun && performance.now() < end) await new Promise((r) => setTimeout(r, 100));
    const receivedFrames = received();
    cluster.sample();
    const processes = await Promise.all(cluster.processes.map(async (p) => ({
      service: p.service,
      alive: p.process.child.exitCode === null && p.process.child.signalCode === null,
      healthz: await fetch(`${p.process.url}/healthz`).then((r) => r.status, () => 0),
      peakRssBytes: p.peakRssBytes,
    })));
    return {
      seed,
      seconds: (performance.now() - started) / 1000,
      packets,
      datagrams,
      tcpStreams,
      audioStreams,
      http: http.stats,
      healthy: { runs, expectedFrames: runs * expectedPerRun, receivedFrames, lostFrames: Math.max(0, runs * expectedPerRun - receivedFrames) },
      processes,
    };
  } finally {
    clearInterval(sampler);
    http.close();
    await bus.deleteStreams().catch(() => undefined);
    await bus.close();
    await cluster.stop();
    // The registry, leases and talks the run left in Redis, all under its root.
    const redis = connectRedis(o.redisUrl);
    await new RedisKeyspace(root).clear(redis).catch(() => 0);
    redis.disconnect();
  }
}
