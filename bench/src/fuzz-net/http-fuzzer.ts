/**
 * Hostile HTTP for the process-level fuzz: the routes the pods serve, with mutated paths
 * (malformed and double percent escapes, dot segments, `//`, 20 KB pieces, non-ASCII), odd
 * methods, junk headers and bodies (bad JSON, a 200 KB SIM, 300 KB bodies, deep nesting), and a
 * share of requests that are not HTTP at all, sent on raw sockets. Every answer's status is
 * counted; a 500 means a handler threw on input it should have refused.
 */
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import type { Prng } from './net-mutator.js';

const ROUTES = [
  '/hls/live/jt1078-013900000001-1/index.m3u8', '/hls/live/jt1078-013900000001-1/init.mp4', '/hls/live/jt1078-013900000001-1/seg12.m4s',
  '/hls/live/jt1078-013900000001-1/part12.3.m4s', '/mp4/live/jt1078-013900000001-1.mp4', '/api/v1/streams', '/api/v1/intercom/leases',
  '/api/v1/intercom/leases/12021', '/api/v1/intercom', '/jt1078/api/v1/intercom', '/api/v1/intercom/sessions', '/api/v1/intercom/sessions/abc',
  '/healthz', '/readyz', '/metrics', '/', '/api/v1/events',
];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS', 'PROPFIND', 'M-SEARCH'];
const ESCAPES = ['%', '%E0%A4%A', '%zz', '%00', '%2F', '%%', '%C0%AF', '%FF%FE', '%u0041', '%25', '%0A'];
const RAW = [
  'GARBAGE\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n', 'GET /healthz HTTP/1.1\r\nHost\r\n\r\n', `GET /${'a'.repeat(70_000)} HTTP/1.1\r\n\r\n`,
  'POST /api/v1/intercom/leases HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
  'POST /api/v1/intercom/leases HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'POST /api/v1/intercom/leases HTTP/1.1\r\nContent-Length: 99999\r\n\r\n{"sim":', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', 'GET /%%%% HTTP/1.1\r\n\r\n',
];

export interface HttpFuzzStats {
  requests: number;
  raw: number;
  statuses: Record<string, number>;
  /** Timeouts and resets: counted, not failures (a long-lived route, or a socket the server refused). */
  errors: number;
}

export class HttpFuzzer {
  readonly stats: HttpFuzzStats = { requests: 0, raw: 0, statuses: {}, errors: 0 };
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 16 });

  constructor(private readonly rng: Prng, private readonly protectedSim: string) {}

  #path(): string {
    const r = this.rng;
    let p = r.pick(ROUTES).replace('013900000001', r.pick(['013900000001', '0139ABCDEF01', '1'.repeat(r.int(40)), '']));
    for (let k = r.int(4); k > 0; k--) {
      const i = r.int(p.length + 1);
      const piece = r.pick([r.pick(ESCAPES), '..', '/../', '//', '/./', 'é', '\u{1F600}', 'x'.repeat(r.int(2) ? 200 : 20_000), ':', '*', ';', '?', '#']);
      p = p.slice(0, i) + piece + p.slice(i);
    }
    if (r.int(3) === 0) p += `?${r.pick(['_HLS_msn', '_HLS_part', 'token', 'expires', 'reason', r.pick(ESCAPES)])}=${r.pick(['-1', '1e30', 'x', '%', '', '9'.repeat(400)])}`;
    // Never the healthy stream: a live /mp4 on it would be a long response, not a fuzz input.
    return (p.startsWith('/') ? p : `/${p}`).replaceAll(this.protectedSim, '013900000001');
  }

  #body(): string | Buffer | undefined {
    const r = this.rng;
    switch (r.int(9)) {
      case 0: return undefined;
      case 1: return '{nope';
      case 2: return JSON.stringify({ sim: '1'.repeat(200_000), channel: 1 });
      case 3: return JSON.stringify({ sim: r.pick(['013900000001', '0139A', '', -1, null, [], {}]), channel: r.pick([0, 255, 256, -1, 1.5, '1', null]) });
      case 4: return Buffer.alloc(300 * 1024, 0x7b);
      case 5: return `${'['.repeat(5000)}${']'.repeat(5000)}`;
      case 6: return JSON.stringify({ type: 'offer', sdp: r.pick(['v=0', '', 'x'.repeat(70_000)]), group: r.pick([[], [{ sim: '013900000001', channel: 1, audioPort: 1 }], 'x']), enterAudioEncoding: r.pick([6, 7, 2, 99, '6']) });
      case 7: return Buffer.from(this.rng.bytes(1 + r.int(2000)));
      default: return JSON.stringify({ __proto__: { polluted: true }, constructor: { prototype: { x: 1 } } });
    }
  }

  /** One request to `port` on 127.0.0.1; resolves when answered, timed out or refused. */
  async one(port: number): Promise<void> {
    const r = this.rng;
    if (r.int(20) === 0) return this.#raw(port);
    const method = r.pick(METHODS);
    const body = method === 'GET' || method === 'HEAD' ? undefined : this.#body();
    const headers: Record<string, string> = {};
    if (r.int(2)) headers['content-type'] = r.pick(['application/json', 'text/plain', 'application/json; charset=utf-16', 'multipart/form-data; boundary=', '']);
    if (r.int(4) === 0) headers['authorization'] = r.pick(['Bearer x', 'Bearer ', 'Basic Og==', 'x'.repeat(2000)]);
    if (r.int(6) === 0) headers['x-forwarded-for'] = r.pick(['::1', '1.2.3.4, 5.6.7.8', 'not-an-ip']);
    const path = this.#path();
    // Node's client refuses a path with raw non-ASCII or spaces: those go out as bytes on a socket.
    if (/[^\x21-\x7e]/.test(path)) return this.#raw(port, `${method} ${path} HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n`);
    this.stats.requests++;
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, method, path, headers, agent: this.#agent, timeout: 4000 }, (res) => {
        this.#count(res.statusCode ?? 0);
        res.resume();
        res.on('end', resolve);
        res.on('error', resolve);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => {
        this.stats.errors++;
        resolve();
      });
      req.end(body);
    });
  }

  #raw(port: number, text = this.rng.pick(RAW)): Promise<void> {
    this.stats.raw++;
    this.stats.requests++;
    return new Promise((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      let got = '';
      let settled = false;
      const done = () => {
        if (settled) return;
        settled = true;
        const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
        if (m) this.#count(Number(m[1]));
        else this.stats.errors++;
        s.destroy();
        resolve();
      };
      s.setTimeout(3000, done);
      s.on('data', (d: Buffer) => (got += d.toString('latin1')));
      s.on('close', done);
      s.on('error', () => {});
      s.on('connect', () => s.end(Buffer.from(text, 'utf8')));
    });
  }

  #count(status: number): void {
    this.stats.statuses[status] = (this.stats.statuses[status] ?? 0) + 1;
  }

  close(): void {
    this.#agent.destroy();
  }
}
