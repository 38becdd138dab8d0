/** One HTTP server for a router: API CORS and preflights (api-cors.ts), unmatched paths get a JSON 404; `addr` is `host:port`. */
import { createServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { parseHostPort } from '../config/index.js';
import { applyApiCors } from './api-cors.js';
import { rejectUpgrade, sendJson, type HttpRouter } from './http-router.js';

/**
 * A request Node's parser refuses (not HTTP, a bad header, headers over the limit) still gets a
 * JSON error, as every other refusal does, and its connection is closed.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const body = JSON.stringify({ error: tooLarge ? 'request headers too large' : 'malformed HTTP request' });
  socket.end(`HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export async function serveRouter(router: HttpRouter, addr: string): Promise<Server> {
  const { host, port } = parseHostPort(addr, '0.0.0.0');
  const server = createServer((req, res) => {
    if (applyApiCors(req, res)) return;
    // handle() answers a handler's throw itself, but that answer can throw too (a header value
    // Node refuses, a dependency's status out of range): then only this request's connection closes.
    void router.handle(req, res).then(
      (handled) => handled || sendJson(res, 404, { error: 'not found' }),
      () => res.destroy(),
    );
  });
  server.on('upgrade', (req, socket, head) => {
    // A peer that resets mid-upgrade must not take the process down.
    socket.on('error', () => socket.destroy());
    void router.handleUpgrade(req, socket, head).then(
      (handled) => handled || rejectUpgrade(socket, 404, 'not found'),
      () => socket.destroy(),
    );
  });
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
