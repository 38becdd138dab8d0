/**
 * The URL other packager replicas use to reach this one's HTTP origin: the pod IP from the
 * downward API (`POD_IP`, set by the chart), else the listener's own host when it is a specific
 * address, else the host name (a Kubernetes pod's resolves to its IP).
 */
import { hostname } from 'node:os';
import { formatHostPort, parseHostPort } from '@jt1078/runtime/config';

export function advertisedUrl(listenAddr: string, env: NodeJS.ProcessEnv = process.env): string {
  const { host, port } = parseHostPort(listenAddr);
  const wildcard = host === '' || host === '0.0.0.0' || host === '::';
  const chosen = env['POD_IP'] || (wildcard ? hostname() : host);
  return `http://${formatHostPort(chosen, port)}`;
}
