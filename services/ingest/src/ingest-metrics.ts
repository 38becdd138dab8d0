/** The ingest's Prometheus metrics (DESIGN.md: connections, packets, frames, bytes, faults, drops, latency). */
import { Counter, Gauge, Histogram, type Registry } from '@jt1078/runtime/metrics';

export function createIngestMetrics(registry: Registry) {
  return {
    connections: new Gauge({ name: 'jt1078_ingest_connections', help: 'Open device connections', labelNames: ['kind'], registers: [registry] }),
    connectionsTotal: new Counter({ name: 'jt1078_ingest_connections_total', help: 'Device connections accepted', labelNames: ['kind', 'transport'], registers: [registry] }),
    rejected: new Counter({ name: 'jt1078_ingest_connections_rejected_total', help: 'Connections refused', labelNames: ['kind', 'reason'], registers: [registry] }),
    closed: new Counter({ name: 'jt1078_ingest_connections_closed_total', help: 'Connections closed, by reason', labelNames: ['kind', 'reason'], registers: [registry] }),
    streams: new Gauge({ name: 'jt1078_ingest_streams', help: 'Live streams on this pod', labelNames: ['kind'], registers: [registry] }),
    packets: new Counter({ name: 'jt1078_ingest_packets_total', help: 'JT1078 packets decoded', labelNames: ['kind'], registers: [registry] }),
    bytes: new Counter({ name: 'jt1078_ingest_bytes_total', help: 'Bytes received from devices', labelNames: ['kind'], registers: [registry] }),
    frames: new Counter({ name: 'jt1078_ingest_frames_total', help: 'Frames published', labelNames: ['kind', 'media'], registers: [registry] }),
    faults: new Counter({ name: 'jt1078_ingest_faults_total', help: 'Device stream faults, by kind', labelNames: ['kind', 'fault'], registers: [registry] }),
    drops: new Counter({ name: 'jt1078_ingest_frames_dropped_total', help: 'Frames not published, by reason', labelNames: ['kind', 'reason'], registers: [registry] }),
    publishSeconds: new Histogram({ name: 'jt1078_ingest_publish_seconds', help: 'Time from a frame completing to its publish call returning', buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05], registers: [registry] }),
    events: new Counter({ name: 'jt1078_ingest_events_total', help: 'Join/leave events stored', labelNames: ['type', 'action', 'result'], registers: [registry] }),
  };
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
