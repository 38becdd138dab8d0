/** The packager's Prometheus metrics (issue 5: streams, viewers, segments, parts, request latency, blocking-reload waits). */
import { Counter, Gauge, Histogram, type Registry } from '@jt1078/runtime/metrics';

/** What /metrics reads from the stream pool at scrape time. */
export interface PoolGauges {
  streams(): number;
  /** Streams requested within the last viewer-notice period. */
  watched(): number;
  /** Parts and segments cut since start, over every stream (released ones included). */
  cut(): { parts: number; segments: number };
}

export type PackagerMetrics = ReturnType<typeof createPackagerMetrics>;

export function createPackagerMetrics(registry: Registry) {
  return {
    /** The pool registers its gauges here once it exists. */
    bindPool(pool: PoolGauges): void {
      new Gauge({ name: 'jt1078_packager_streams', help: 'Streams being packaged on this pod', registers: [registry], collect() { this.set(pool.streams()); } });
      new Gauge({ name: 'jt1078_packager_streams_packaged', help: 'Streams this replica packages (the others it is asked for are proxied to their owners)', registers: [registry], collect() { this.set(pool.streams()); } });
      new Gauge({ name: 'jt1078_packager_watched_streams', help: 'Streams requested within the last viewer-notice period', registers: [registry], collect() { this.set(pool.watched()); } });
      new Gauge({ name: 'jt1078_packager_parts', help: 'LL-HLS parts cut since start (a count read from the segmenters)', registers: [registry], collect() { this.set(pool.cut().parts); } });
      new Gauge({ name: 'jt1078_packager_segments', help: 'HLS segments cut since start (a count read from the segmenters)', registers: [registry], collect() { this.set(pool.cut().segments); } });
    },
    requests: new Histogram({
      name: 'jt1078_packager_request_seconds', help: 'HTTP request duration by route kind and status (blocking reloads include their wait)',
      labelNames: ['route', 'status'], buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 1, 2, 5, 10], registers: [registry],
    }),
    blockingWaits: new Histogram({
      name: 'jt1078_packager_blocking_wait_seconds', help: 'How long blocking playlist reloads and preload-hinted parts waited, by outcome',
      labelNames: ['kind', 'outcome'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10], registers: [registry],
    }),
    refused: new Counter({ name: 'jt1078_packager_requests_refused_total', help: 'Requests refused, by reason (unknown stream, warming up, too far ahead, signature …)', labelNames: ['reason'], registers: [registry] }),
    frames: new Counter({ name: 'jt1078_packager_frames_total', help: 'Frames received from the bus for packaged streams, by media', labelNames: ['media'], registers: [registry] }),
    proxied: new Counter({ name: 'jt1078_packager_proxied_requests_total', help: 'Requests for streams another replica packages, forwarded to an owner, by route kind and outcome (forwarded, aborted mid-response, unreachable owner)', labelNames: ['route', 'outcome'], registers: [registry] }),
    /** The bus's drops by reason (bus-stats.ts), e.g. frames naming an unknown codec: read at scrape time. */
    bindBusDrops(dropped: () => Readonly<Record<string, number>>): void {
      new Gauge({
        name: 'jt1078_packager_bus_frames_dropped', help: 'Messages the bus dropped since start, by reason (a count, read from the bus)', labelNames: ['reason'], registers: [registry],
        collect() {
          for (const [reason, n] of Object.entries(dropped())) this.set({ reason }, n);
        },
      });
    },
    /** Set by startPackager when replicas share streams. */
    bindMembers(members: () => number): void {
      new Gauge({ name: 'jt1078_packager_members', help: 'Live packager replicas this one sees (streams are shared among them)', registers: [registry], collect() { this.set(members()); } });
    },
    viewerNotices: new Counter({ name: 'jt1078_packager_viewer_notices_total', help: 'Viewer notices published for the ingest overtime rule', registers: [registry] }),
  };
}
