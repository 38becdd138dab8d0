/**
 * `HOST:PORT` as the config (`jt1078.realtime.addr`, `cluster.http.addr`, simulations) and the
 * command line (`simulate --addr`) write it, and back. One parser for every listener and every
 * dial target: an IPv6 host is bracketed (`[::1]:80`), an empty host (`:12051`) is left empty for
 * the caller to read as "every interface" (a listener) or "this machine" (a dial target).
 */

export const HostPortFault = {
  /** Not `host:port`, `[v6]:port` or `:port`. */
  Syntax: 'syntax',
  /** A port that is not 0..65535. */
  Port: 'port',
} as const;
export type HostPortFault = (typeof HostPortFault)[keyof typeof HostPortFault];

export class HostPortError extends Error {
  override readonly name = 'HostPortError';
  constructor(
    readonly kind: HostPortFault,
    readonly addr: string,
  ) {
    super(kind === HostPortFault.Port ? `'${addr}': the port must be 0..65535` : `'${addr}' is not HOST:PORT`);
  }
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** The highest TCP/UDP port. */
const MAX_PORT = 65535;

/** `[v6]:port`, or a host without colons or spaces and `:port`; the port is 1 to 5 digits. */
const HOST_PORT = /^(?:\[([^\]\s]*)\]|([^:[\]\s]*)):(\d{1,5})$/;

/**
 * The host (brackets removed; `emptyHost` when none is written) and the port. An unbracketed
 * IPv6 host (`::1:80`) is refused: where its port starts cannot be told.
 */
export function parseHostPort(addr: string, emptyHost = ''): HostPort {
  const m = HOST_PORT.exec(addr);
  if (!m) throw new HostPortError(HostPortFault.Syntax, addr);
  const port = Number(m[3]);
  if (port > MAX_PORT) throw new HostPortError(HostPortFault.Port, addr);
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? emptyHost : host, port };
}

/** The inverse of parseHostPort: an IPv6 host gets its brackets back. */
export function formatHostPort(host: string, port: number | string): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
