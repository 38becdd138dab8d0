/**
 * Closing a connection runs the device's last bytes through the demuxer's end: a throw there
 * (what push() already guards against) costs only that connection. The transport still closes,
 * the throw is counted as fault handler-error, and close() resolves: nothing is left to reject
 * unhandled (vitest fails the run on one), which on Node 20 would end the whole ingest pod.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '@jt1078/runtime/config';
import { ErrorDigest, silentLogger } from '@jt1078/runtime/logger';
import { createMetricsRegistry } from '@jt1078/runtime/metrics';
import { IngestConnection } from './ingest-connection.js';
import { createIngestMetrics } from './ingest-metrics.js';

/** A digest whose fault reports throw: the shortest way to make the demuxer's end throw. */
class ThrowingFaultDigest extends ErrorDigest {
  override report(key: string, message: string, context?: Record<string, unknown>): void {
    if (key.startsWith('fault:')) throw new Error(`digest failed on ${key}`);
    super.report(key, message, context);
  }
}

function connection(closed: string[]) {
  const registry = createMetricsRegistry({ defaultMetrics: false });
  const metrics = createIngestMetrics(registry);
  const { config } = parseConfig('', 'test');
  const log = silentLogger();
  const c = new IngestConnection({
    kind: 'live',
    endpoint: config.jt1078.realtime,
    connectionId: 'c1',
    remoteAddress: '192.0.2.1:5000',
    pod: 'pod-a',
    publisher: { publishFrame: () => {}, pressure: () => 0 },
    events: { publishEvent: async () => {} },
    claims: {} as never,
    registryTtlMs: 30_000,
    segmentTargetMs: 1000,
    metrics,
    log,
    digest: new ThrowingFaultDigest(log),
    closeTransport: (reason) => closed.push(reason),
  });
  return { c, registry };
}

describe('IngestConnection.close', () => {
  it('closes the transport and resolves when ending the demuxer throws', async () => {
    const closed: string[] = [];
    const { c, registry } = connection(closed);
    // The start of a JT1078 header and nothing more: the end reports it as truncated.
    c.push(Uint8Array.of(0x30, 0x31, 0x63, 0x64, 0x81, 0x62));
    await expect(c.close('idle timeout')).resolves.toBeUndefined();
    expect(closed).toEqual(['idle timeout']);
    const faults = await registry.getSingleMetric('jt1078_ingest_faults_total')!.get();
    expect(faults.values.find((v) => v.labels['fault'] === 'handler-error')?.value).toBe(1);
  });
});
