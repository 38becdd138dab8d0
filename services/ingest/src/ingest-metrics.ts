/** The ingest's Prometheus metrics (DESIGN.md: connections, packets, frames, bytes, faults, drops, latency). */
import { Counter, Gauge, Histogram, type Registry } from '@jt1078/runtime/metrics';

/** What /metrics reads from the bus at scrape time. */
export interface BusGauges {
  /** 0 free, 1 soft, 2 hard (the key-frame gate's input). */
  pressure(): number;
  /** Bytes published and not yet written to the NATS socket. */
  unsentBytes(): number;
  /** The bus's own drops, by reason (bus-stats.ts). */
  dropped(): Readonly<Record<string, number>>;
}

/**
 * `beforeScrape` runs before the per-packet and per-frame counters are read: connections count
 * in plain numbers and add them up then (ingest-connection.ts).
 */
export function createIngestMetrics(registry: Registry, bus?: BusGauges, beforeScrape: () => void = () => {}) {
  if (bus) {
    new Gauge({ name: 'jt1078_ingest_bus_pressure', help: 'Bus pressure: 0 free, 1 soft (key frames start GOPs), 2 hard (all dropped)', registers: [registry], collect() { this.set(bus.pressure()); } });
    new Gauge({ name: 'jt1078_ingest_bus_unsent_bytes', help: 'Bytes published and not yet written to the NATS socket', registers: [registry], collect() { this.set(bus.unsentBytes()); } });
    new Gauge({
      name: 'jt1078_ingest_bus_frames_dropped', help: 'Frames the bus dropped since start, by reason (a count, read from the bus)', labelNames: ['reason'], registers: [registry],
      collect() {
        for (const [reason, n] of Object.entries(bus.dropped())) this.set({ reason }, n);
      },
    });
  }
  return {
    connections: new Gauge({ name: 'jt1078_ingest_connections', help: 'Open device connections', labelNames: ['kind'], registers: [registry] }),
    connectionsTotal: new Counter({ name: 'jt1078_ingest_connections_total', help: 'Device connections accepted', labelNames: ['kind', 'transport'], registers: [registry] }),
    rejected: new Counter({ name: 'jt1078_ingest_connections_rejected_total', help: 'Connections refused', labelNames: ['kind', 'reason'], registers: [registry] }),
    closed: new Counter({ name: 'jt1078_ingest_connections_closed_total', help: 'Connections closed, by reason', labelNames: ['kind', 'reason'], registers: [registry] }),
    streams: new Gauge({ name: 'jt1078_ingest_streams', help: 'Live streams on this pod', labelNames: ['kind'], registers: [registry] }),
    packets: new Counter({ name: 'jt1078_ingest_packets_total', help: 'JT1078 packets decoded', labelNames: ['kind'], registers: [registry], collect: beforeScrape }),
    bytes: new Counter({ name: 'jt1078_ingest_bytes_total', help: 'Bytes received from devices', labelNames: ['kind'], registers: [registry], collect: beforeScrape }),
    frames: new Counter({ name: 'jt1078_ingest_frames_total', help: 'Frames published', labelNames: ['kind', 'media'], registers: [registry], collect: beforeScrape }),
    faults: new Counter({ name: 'jt1078_ingest_faults_total', help: 'Device stream faults, by kind', labelNames: ['kind', 'fault'], registers: [registry] }),
    drops: new Counter({ name: 'jt1078_ingest_frames_dropped_total', help: 'Frames not published, by reason', labelNames: ['kind', 'reason'], registers: [registry], collect: beforeScrape }),
    publishSeconds: new Histogram({ name: 'jt1078_ingest_publish_seconds', help: 'Time from a frame completing to its publish call returning (one frame in 16 per connection)', buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05], registers: [registry] }),
    events: new Counter({ name: 'jt1078_ingest_events_total', help: 'Join/leave events stored', labelNames: ['type', 'action', 'result'], registers: [registry] }),
  };
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
