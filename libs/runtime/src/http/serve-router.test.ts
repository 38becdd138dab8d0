/**
 * serveRouter over a real socket: a handler's error whose answer Node itself refuses (a header
 * value with a newline, a dependency's status out of range) closes that request's connection
 * only. The server stays up and no rejection is left unhandled (vitest fails the run on one).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError, HttpRouter, sendJson } from './http-router.js';
import { serveRouter } from './serve-router.js';

describe('serveRouter', () => {
  const router = new HttpRouter()
    .on('GET', '/ok', (_req, res) => sendJson(res, 200, { ok: true }))
    .on('GET', '/bad-header', () => {
      throw new HttpError(503, 'busy', { 'Retry-After': '1\r\nX-Injected: yes' });
    })
    .on('GET', '/bad-status', () => {
      throw Object.assign(new Error('store said so'), { httpStatus: 42 });
    });
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = await serveRouter(router, '127.0.0.1:0');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it.each(['/bad-header', '/bad-status'])('closes the connection of %s when its error cannot be answered, and serves on', async (path) => {
    await expect(fetch(`${base}${path}`)).rejects.toThrow();
    // Give a rejection left unhandled the turn it needs to be reported.
    await new Promise((r) => setImmediate(r));
    const res = await fetch(`${base}/ok`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('answers an unmatched path with a JSON 404', async () => {
    const res = await fetch(`${base}/nowhere`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not found' });
  });
});
