import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthState } from '../lifecycle/health-state.js';
import { createMetricsRegistry } from '../metrics/index.js';
import { HttpError, HttpRouter, readJsonBody, sendJson } from './http-router.js';
import { addOpsRoutes } from './ops-routes.js';

describe('HttpRouter over a real socket', () => {
  const health = new HealthState();
  const router = addOpsRoutes(new HttpRouter(), health, createMetricsRegistry({ defaultMetrics: false }))
    .on('GET', '/hls/*streamPath/index.m3u8', (_req, res, p) => sendJson(res, 200, { streamPath: p.path['streamPath'], msn: p.query.get('_HLS_msn') }))
    .on('DELETE', '/api/v1/intercom/leases/:port', (_req, res, p) => sendJson(res, 200, { port: Number(p.path['port']) }))
    .on('POST', '/echo', async (req, res) => sendJson(res, 200, await readJsonBody(req, 64)))
    .on('GET', '/teapot', () => {
      throw new HttpError(418, 'short and stout', { 'Retry-After': '1' });
    })
    .on('GET', '/store', () => {
      throw Object.assign(new Error('Redis unavailable (lease list): Connection is closed.'), { httpStatus: 503, retryAfterSecond: 2 });
    });
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      void router.handle(req, res).then((handled) => {
        if (!handled) sendJson(res, 404, { error: 'not found' });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('captures a stream path with slashes and the query', async () => {
    const res = await fetch(`${base}/hls/live/jt1078-295696659617-1/index.m3u8?_HLS_msn=4`);
    expect(await res.json()).toEqual({ streamPath: 'live/jt1078-295696659617-1', msn: '4' });
  });

  it('matches one-segment parameters and methods', async () => {
    expect(await (await fetch(`${base}/api/v1/intercom/leases/12022`, { method: 'DELETE' })).json()).toEqual({ port: 12022 });
    expect((await fetch(`${base}/api/v1/intercom/leases/12022`)).status).toBe(405);
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
  });

  it('turns typed errors and bad bodies into statuses', async () => {
    const tea = await fetch(`${base}/teapot`);
    expect(tea.status).toBe(418);
    expect(tea.headers.get('retry-after')).toBe('1');
    expect((await fetch(`${base}/echo`, { method: 'POST', body: '{nope' })).status).toBe(400);
    expect((await fetch(`${base}/echo`, { method: 'POST', body: JSON.stringify({ a: 'x'.repeat(100) }) })).status).toBe(413);
    expect(await (await fetch(`${base}/echo`, { method: 'POST', body: '{"a":1}' })).json()).toEqual({ a: 1 });
  });

  it('answers 400 with a JSON error to malformed escapes and targets, and keeps serving', async () => {
    const { request } = await import('node:http');
    const raw = (target: string, method = 'GET') => new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: Number(new URL(base).port), path: target, method }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    for (const [target, method] of [['/hls/live/jt1078-013900000200-1/%E0%A4%A/index.m3u8', 'GET'], ['/api/v1/intercom/leases/%', 'DELETE'], ['/api/v1/intercom/leases/%zz', 'DELETE']] as const) {
      const res = await raw(target, method);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).error).toMatch(/malformed percent escape/);
    }
    // `//host/...` stays a path on this server, not another host.
    expect((await raw('//evil.example/hls/a/index.m3u8')).status).toBe(404);
    const long = await raw(`/api/v1/intercom/leases/%${'x'.repeat(5000)}`, 'DELETE');
    expect(long.status).toBe(400);
    expect(JSON.parse(long.body).error.length).toBeLessThan(200);
    expect((await fetch(`${base}/hls/live/jt1078-295696659617-1/index.m3u8`)).status).toBe(200);
  });

  it('answers a dependency outage with its status and Retry-After', async () => {
    const res = await fetch(`${base}/store`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect((await res.json()).error).toMatch(/^Redis unavailable/);
  });

  it('reports readiness, and not while draining', async () => {
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    health.block('nats', 'disconnected');
    const blocked = await fetch(`${base}/readyz`);
    expect(blocked.status).toBe(503);
    expect(await blocked.json()).toEqual({ ready: false, reasons: ['nats: disconnected'] });
    health.unblock('nats');
    health.startDraining();
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).headers.get('content-type')).toMatch(/text\/plain/);
  });
});

describe('serveRouter', () => {
  it('answers a request that is not HTTP with a JSON 400, and oversized headers with a 431', async () => {
    const { serveRouter } = await import('./serve-router.js');
    const { connect } = await import('node:net');
    const server = await serveRouter(new HttpRouter(), '127.0.0.1:0');
    const port = (server.address() as AddressInfo).port;
    const raw = (text: string) => new Promise<string>((resolve) => {
      let got = '';
      const s = connect({ host: '127.0.0.1', port }, () => s.end(text));
      s.on('data', (d: Buffer) => (got += d.toString()));
      s.on('close', () => resolve(got));
      s.on('error', () => resolve(got));
    });
    const garbage = await raw('GARBAGE\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(garbage.slice(garbage.indexOf('\r\n\r\n') + 4))).toEqual({ error: 'malformed HTTP request' });
    expect(await raw(`GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
