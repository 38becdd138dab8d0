/** One HTTP server for a router: API CORS and preflights (api-cors.ts), unmatched paths get a JSON 404; `addr` is `host:port`. */
import { createServer, type Server } from 'node:http';
import { applyApiCors } from './api-cors.js';
import { rejectUpgrade, sendJson, type HttpRouter } from './http-router.js';

export async function serveRouter(router: HttpRouter, addr: string): Promise<Server> {
  const i = addr.lastIndexOf(':');
  const host = addr.slice(0, i) || '0.0.0.0';
  const port = Number(addr.slice(i + 1));
  const server = createServer((req, res) => {
    if (applyApiCors(req, res)) return;
    void router.handle(req, res).then((handled) => handled || sendJson(res, 404, { error: 'not found' }));
  });
  server.on('upgrade', (req, socket, head) => {
    // A peer that resets mid-upgrade must not take the process down.
    socket.on('error', () => socket.destroy());
    void router.handleUpgrade(req, socket, head).then(
      (handled) => handled || rejectUpgrade(socket, 404, 'not found'),
      () => socket.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
