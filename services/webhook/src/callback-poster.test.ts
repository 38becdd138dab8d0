import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallbackPoster } from './callback-poster.js';

describe('CallbackPoster against an https receiver with a self-signed certificate', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tls-'));
  let url = '';
  const server = createServer();

  beforeAll(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    server.setSecureContext({ key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) });
    server.on('request', (req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(req.url === '/gone' ? 410 : 200).end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers when insecure_skip_verify is set (the m7s-jt1078 behaviour), and refuses otherwise', async () => {
    const insecure = new CallbackPoster({ timeoutMs: 2000, insecureSkipVerify: true });
    const strict = new CallbackPoster({ timeoutMs: 2000, insecureSkipVerify: false });
    expect(await insecure.post(`${url}/join`, '{}', {})).toEqual({ kind: 'delivered', status: 200 });
    const refused = await strict.post(`${url}/join`, '{}', {});
    expect(refused.kind).toBe('retry');
    expect(refused.kind === 'retry' && refused.reason).toMatch(/self[- ]signed|certificate/i);
    expect(await insecure.post(`${url}/gone`, '{}', {})).toEqual({ kind: 'gone', status: 410 });
    insecure.close();
    strict.close();
  });
});
