/** The intercom's Prometheus metrics, device side and lease API (the WebRTC side adds its own). */
import { Counter, Gauge, type Registry } from '@jt1078/runtime/metrics';

export function createIntercomMetrics(registry: Registry) {
  return {
    talks: new Gauge({ name: 'jt1078_intercom_talks', help: 'Device connections on a leased audio port, on this pod', registers: [registry] }),
    connections: new Counter({ name: 'jt1078_intercom_device_connections_total', help: 'Device connections on the audio ports, by result (accepted, no-lease, lease-lookup-failed, draining)', labelNames: ['result'], registers: [registry] }),
    closed: new Counter({ name: 'jt1078_intercom_device_closed_total', help: 'Talk connections closed, by reason', labelNames: ['reason'], registers: [registry] }),
    packets: new Counter({ name: 'jt1078_intercom_packets_total', help: 'JT1078 packets: down = written to devices, up = read from devices', labelNames: ['direction'], registers: [registry] }),
    bytes: new Counter({ name: 'jt1078_intercom_bytes_total', help: 'Bytes written to (down) and read from (up) devices', labelNames: ['direction'], registers: [registry] }),
    frames: new Counter({ name: 'jt1078_intercom_uplink_frames_total', help: 'Device audio frames published on media.talk', registers: [registry] }),
    drops: new Counter({ name: 'jt1078_intercom_drops_total', help: 'Audio not passed on, by direction and reason', labelNames: ['direction', 'reason'], registers: [registry] }),
    faults: new Counter({ name: 'jt1078_intercom_uplink_faults_total', help: 'Device stream faults on the audio ports, by kind', labelNames: ['fault'], registers: [registry] }),
    leases: new Counter({ name: 'jt1078_intercom_lease_outcomes_total', help: 'Lease outcomes: granted, unavailable, released, stale, renew-failed, jt808-failed', labelNames: ['outcome'], registers: [registry] }),
    overtime: new Counter({ name: 'jt1078_intercom_overtime_closes_total', help: 'Talks closed because no audio was written to the device for overtime_second', registers: [registry] }),
    events: new Counter({ name: 'jt1078_intercom_events_total', help: 'Audio join/leave events, by result (stored, failed)', labelNames: ['action', 'result'], registers: [registry] }),
    jt808: new Counter({ name: 'jt1078_intercom_jt808_commands_total', help: '0x9101/0x9102 sent to the JT808 platform, by result', labelNames: ['command', 'result'], registers: [registry] }),
  };
}

export type IntercomMetrics = ReturnType<typeof createIntercomMetrics>;
