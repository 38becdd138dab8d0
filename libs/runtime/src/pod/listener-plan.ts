/**
 * Every socket a command will listen on, with the config key and environment variable that
 * chose it: what the start-up check probes before anything serves, and what its messages name.
 */
import { envVariableFor, parseHostPort, type Config } from '../config/index.js';

export type ListeningService = 'ingest' | 'packager' | 'intercom' | 'webhook';

export interface PlannedListener {
  /** What listens there, for people ("realtime ingest"). */
  readonly what: string;
  readonly key: string;
  readonly env: string | undefined;
  readonly host: string;
  readonly port: number;
  readonly protocol: 'tcp' | 'udp';
}

function addrListeners(what: string, key: string, addr: string, protocols: ReadonlyArray<'tcp' | 'udp'>): PlannedListener[] {
  // An empty host listens on every interface.
  const { host, port } = parseHostPort(addr, '0.0.0.0');
  return protocols.map((protocol) => ({ what, key, env: envVariableFor(key), host, port, protocol }));
}

/** The listeners of `services` (all four in `jt1078 start`), HTTP first. */
export function planListeners(config: Config, services: readonly ListeningService[]): PlannedListener[] {
  const j = config.jt1078;
  const out = addrListeners('HTTP', 'cluster.http.addr', config.cluster.http.addr, ['tcp']);
  if (services.includes('ingest')) {
    out.push(...addrListeners('realtime ingest', 'jt1078.realtime.addr', j.realtime.addr, ['tcp', 'udp']));
    out.push(...addrListeners('playback ingest', 'jt1078.playback.addr', j.playback.addr, ['tcp', 'udp']));
  }
  if (services.includes('intercom') && j.intercom.enable) {
    // The listened ports are listen_ports when set (a port-mapping load balancer), else the leased ones.
    const own = config.cluster.intercom.listen_ports;
    const [lo, hi] = own.length === 2 ? own : j.intercom.audio_ports;
    const key = own.length === 2 ? 'cluster.intercom.listen_ports' : 'jt1078.intercom.audio_ports';
    for (let port = lo; port <= hi; port++) out.push({ what: 'intercom audio port', key, env: envVariableFor(key), host: '0.0.0.0', port, protocol: 'tcp' });
  }
  return out;
}
