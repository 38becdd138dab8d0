/** Jt808Gateway against a real HTTP server answering as go-jt808 does (HTTP 200, `{code, msg, data}`). */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { avTransmissionControlJson } from '@jt1078/jt1078';
import { freePort } from '../../../test/support/services.js';
import { Jt808Gateway } from './jt808-gateway.js';

describe('Jt808Gateway', () => {
  let server: Server;
  let base = '';
  const requests: Array<{ url: string; type: string; body: unknown }> = [];
  let reply: { status: number; body: string } = { status: 200, body: '{"code":200,"msg":"success","data":{"replyCommand":1}}' };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c));
      req.on('end', () => {
        requests.push({ url: req.url ?? '', type: req.headers['content-type'] ?? '', body: JSON.parse(raw) });
        res.writeHead(reply.status, { 'Content-Type': 'application/json' });
        res.end(reply.body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const body = avTransmissionControlJson('10088', { channelNo: 1, controlCmd: 4, closeAudioVideoData: 0, streamType: 0 });

  it('posts {key, data} to <base>/api/v1/jt808/<command> and reads go-jt808\'s answer', async () => {
    const out = await new Jt808Gateway(`${base}/`).send('9102', body);
    expect(out).toEqual({ url: `${base}/api/v1/jt808/9102`, ok: true, status: 200, code: 200, msg: 'success', data: { replyCommand: 1 } });
    expect(requests.at(-1)).toEqual({ url: '/api/v1/jt808/9102', type: 'application/json; charset=utf-8', body });
    // The API's own path as the base is the same API.
    expect(new Jt808Gateway(`${base}/api/v1/jt808`).urlOf('9101')).toBe(`${base}/api/v1/jt808/9101`);
  });

  it('reports a refusal inside HTTP 200 (code 500, terminal not connected) and an HTTP error as not ok', async () => {
    reply = { status: 200, body: '{"code":500,"msg":"终端不存在"}' };
    expect(await new Jt808Gateway(base).send('9101', body)).toMatchObject({ ok: false, status: 200, code: 500, msg: '终端不存在' });
    reply = { status: 503, body: 'busy' };
    expect(await new Jt808Gateway(base).send('9101', body)).toMatchObject({ ok: false, status: 503, msg: 'busy' });
  });

  it('reports a platform that does not answer, without throwing', async () => {
    const out = await new Jt808Gateway(`http://127.0.0.1:${await freePort()}`).send('9101', body);
    expect(out.ok).toBe(false);
    expect(out.error).toBe('ECONNREFUSED');
  });
});
