import { describe, expect, it } from 'vitest';
import { HostPortError, HostPortFault, formatHostPort, parseHostPort } from './host-port.js';

const PARSED: ReadonlyArray<{ addr: string; host: string; port: number; emptyHost?: string }> = [
  { addr: '127.0.0.1:12051', host: '127.0.0.1', port: 12051 },
  { addr: '0.0.0.0:8080', host: '0.0.0.0', port: 8080 },
  { addr: 'localhost:0', host: 'localhost', port: 0 },
  { addr: 'jt1078-ingest.default.svc:65535', host: 'jt1078-ingest.default.svc', port: 65535 },
  { addr: '[::1]:80', host: '::1', port: 80 },
  { addr: '[fe80::1%eth0]:443', host: 'fe80::1%eth0', port: 443 },
  { addr: '[::]:12052', host: '::', port: 12052 },
  { addr: ':12051', host: '', port: 12051 },
  { addr: ':12051', host: '0.0.0.0', port: 12051, emptyHost: '0.0.0.0' },
  { addr: '[]:9', host: '127.0.0.1', port: 9, emptyHost: '127.0.0.1' },
];

const REFUSED: ReadonlyArray<{ addr: string; kind: HostPortFault }> = [
  { addr: '127.0.0.1:65536', kind: HostPortFault.Port },
  { addr: ':99999', kind: HostPortFault.Port },
  { addr: '127.0.0.1:123456', kind: HostPortFault.Syntax },
  { addr: '127.0.0.1:', kind: HostPortFault.Syntax },
  { addr: '127.0.0.1', kind: HostPortFault.Syntax },
  { addr: '127.0.0.1:-1', kind: HostPortFault.Syntax },
  { addr: '127.0.0.1:80a', kind: HostPortFault.Syntax },
  { addr: '::1:80', kind: HostPortFault.Syntax },
  { addr: '[::1:80', kind: HostPortFault.Syntax },
  { addr: '::1]:80', kind: HostPortFault.Syntax },
  { addr: '', kind: HostPortFault.Syntax },
  { addr: ':', kind: HostPortFault.Syntax },
  { addr: ' 10.0.0.5:1', kind: HostPortFault.Syntax },
  { addr: '10.0.0.5:1 ', kind: HostPortFault.Syntax },
];

describe('parseHostPort', () => {
  for (const c of PARSED) {
    it(`reads ${JSON.stringify(c.addr)}${c.emptyHost ? ` (empty host = ${c.emptyHost})` : ''}`, () => {
      expect(parseHostPort(c.addr, c.emptyHost)).toEqual({ host: c.host, port: c.port });
    });
  }

  for (const c of REFUSED) {
    it(`refuses ${JSON.stringify(c.addr)} (${c.kind})`, () => {
      let caught: unknown;
      try {
        parseHostPort(c.addr);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(HostPortError);
      expect((caught as HostPortError).kind).toBe(c.kind);
      expect((caught as HostPortError).message).toContain(c.addr);
    });
  }

  it('gives back what formatHostPort wrote, IPv6 included', () => {
    for (const c of PARSED.filter((p) => p.host !== '' && p.emptyHost === undefined)) {
      expect(parseHostPort(formatHostPort(c.host, c.port))).toEqual({ host: c.host, port: c.port });
    }
    expect(formatHostPort('::1', 80)).toBe('[::1]:80');
    expect(formatHostPort('127.0.0.1', '8080')).toBe('127.0.0.1:8080');
  });
});
