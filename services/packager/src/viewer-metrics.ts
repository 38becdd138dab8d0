/** Per-protocol viewer metrics (FLV over HTTP and WebSocket, WHEP): viewers, bytes, drops. */
import { Counter, Gauge, type Registry } from '@jt1078/runtime/metrics';

export type ViewerProtocol = 'http-flv' | 'ws-flv' | 'whep';

export type ViewerMetrics = ReturnType<typeof createViewerMetrics>;

export function createViewerMetrics(registry: Registry) {
  return {
    viewers: new Gauge({ name: 'jt1078_packager_viewers', help: 'Viewers connected now, by protocol', labelNames: ['protocol'], registers: [registry] }),
    bytes: new Counter({ name: 'jt1078_packager_viewer_bytes_total', help: 'Media bytes written to viewers, by protocol', labelNames: ['protocol'], registers: [registry] }),
    ended: new Counter({
      name: 'jt1078_packager_viewers_ended_total',
      help: 'Viewers that ended, by protocol and reason (slow = cut because its unsent bytes passed the queue bound; client-closed, stream-ended, shutdown, error)',
      labelNames: ['protocol', 'reason'], registers: [registry],
    }),
    /** Frames a protocol's muxer could not carry (audio codec without a FLV format, video before a key frame …). */
    skipped: new Counter({ name: 'jt1078_packager_viewer_frames_skipped_total', help: 'Frames a viewer protocol could not carry, by protocol and reason', labelNames: ['protocol', 'reason'], registers: [registry] }),
  };
}
