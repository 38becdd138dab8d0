/**
 * Webhook relay throughput and latency to a local receiver, on real JetStream when NATS is
 * reachable (NATS_URL or 127.0.0.1:4222), else on the in-process bus (said in the result).
 * Throughput: a burst of events, first publish to last delivery. Latency: a steady 500 events/s,
 * publish to receipt, p50/p99.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryMediaBus, NatsMediaBus, type EventEnvelope, type MediaBus } from '@jt1078/bus';
import { parseConfig } from '@jt1078/runtime/config';
import { silentLogger } from '@jt1078/runtime/logger';
import { createMetricsRegistry } from '@jt1078/runtime/metrics';
import { startWebhookRelay } from '@jt1078/svc-webhook';
import { percentile, type BenchContext, type BenchGroup, type BenchResult } from '../harness/index.js';

async function connectBus(root: string): Promise<{ bus: MediaBus; kind: string }> {
  try {
    const bus = await Promise.race([
      NatsMediaBus.connect({ url: process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222', root }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 3000)),
    ]);
    return { bus, kind: 'JetStream' };
  } catch {
    return { bus: new MemoryMediaBus(), kind: 'in-process bus (NATS unreachable)' };
  }
}

async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const root = `bench${Date.now()}`;
  const { bus, kind } = await connectBus(root);
  const received = new Map<string, number>();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.set(String(req.headers['webhook-id']), performance.now());
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { config } = parseConfig(`jt1078:\n  realtime: { on_join_url: "${base}/join", on_leave_url: "${base}/leave" }\ncluster:\n  webhook: { concurrency: 256 }\n`, 'bench');
  const startRelay = () => startWebhookRelay({ config, bus, log: silentLogger(), metricsRegistry: createMetricsRegistry({ defaultMetrics: false }), durable: `${root}-bench` });
  let relay: Awaited<ReturnType<typeof startRelay>> | undefined;
  const event = (i: number, action: 'join' | 'leave'): EventEnvelope => ({
    id: `${root}-${i}-${action}`, type: 'realtime', action, streamKey: `live/jt1078-${i}-1`, occurredAt: Date.now(),
    body: { streamPath: `live/jt1078-${i}-1`, sim: String(i), channel: 1, startTime: '2025-07-13 18:58:15' },
  });
  try {
    // The backlog is stored first, then the relay starts: the time measured is the relay's alone
    // (a receiver back from an outage, or a relay starting on a full stream).
    const burst = ctx.quick ? 2000 : 20_000;
    for (let i = 0; i < burst / 2; i += 250) {
      await Promise.all(Array.from({ length: 250 }, (_, k) => [bus.publishEvent(event(i + k, 'join')), bus.publishEvent(event(i + k, 'leave'))]).flat());
    }
    const t0 = performance.now();
    relay = await startRelay();
    while (received.size < burst) await new Promise((r) => setTimeout(r, 5));
    const seconds = (performance.now() - t0) / 1000;
    ctx.log(`${kind}: a backlog of ${burst} events delivered in ${seconds.toFixed(2)} s`);

    const steady = ctx.quick ? 500 : 2500;
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    for (let i = 0; i < steady; i++) {
      const e = event(1_000_000 + i, 'join');
      sentAt.set(e.id, performance.now());
      void bus.publishEvent(e);
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 20)); // ~500 events/s
    }
    while ([...sentAt.keys()].some((id) => !received.has(id))) await new Promise((r) => setTimeout(r, 5));
    for (const [id, t] of sentAt) latencies.push(received.get(id)! - t);
    latencies.sort((a, b) => a - b);
    ctx.log(`latency at ~500 events/s: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`);
    return [
      { name: 'webhook.throughput', value: burst / seconds, unit: 'events/s', note: `${kind}; a stored backlog of ${burst} events (10,000 streams), relay start to last delivery` },
      { name: 'webhook.latency.p50', value: percentile(latencies, 50), unit: 'ms', note: `${kind}; publish to receipt at ~500 events/s` },
      { name: 'webhook.latency.p99', value: percentile(latencies, 99), unit: 'ms', note: `${kind}; publish to receipt at ~500 events/s` },
    ];
  } finally {
    relay?.stop();
    server.closeAllConnections();
    server.close();
    if (bus instanceof NatsMediaBus) await bus.deleteStreams();
    await bus.close();
  }
}

export const webhookBenchGroups: readonly BenchGroup[] = [
  { name: 'webhook', description: 'callback relay: events/s and publish-to-receipt latency to a local receiver', run },
];
