/**
 * HTTP-FLV and WS-FLV (what m7s-jt1078's users' players — jessibuca, flv.js, mpegts.js — read):
 * `GET /flv/<streamPath>.flv` streams one FLV over a chunked response; the same path over a
 * WebSocket sends it as binary messages. Both start at the stream's last key frame.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { HttpError, type HttpRouter } from '@jt1078/runtime/http';
import type { FlvStreamPool } from './flv-stream-pool.js';
import type { StreamCoordinates } from './stream-path.js';
import { HttpViewerSink, WebSocketViewerSink } from './viewer-sink.js';

const CORS = { 'Access-Control-Allow-Origin': '*' };

export interface FlvRoutesOptions {
  readonly pool: FlvStreamPool;
  /** Resolves a requested stream path, throwing an HttpError when it cannot be served. */
  readonly lookup: (streamPath: string, query: URLSearchParams) => Promise<StreamCoordinates>;
}

function flvPath(raw: string | undefined): string {
  const path = raw ?? '';
  if (!path.endsWith('.flv')) throw new HttpError(404, 'FLV paths end in .flv: /flv/<streamPath>.flv', CORS);
  return path.slice(0, -'.flv'.length);
}

export function addFlvRoutes(router: HttpRouter, opts: FlvRoutesOptions): { close(): void } {
  // Viewers send nothing we read: a small payload bound keeps a hostile client from costing memory.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024, perMessageDeflate: false });

  router.on('GET', '/flv/*streamPath', async (req, res, p) => {
    const c = await opts.lookup(flvPath(p.path['streamPath']), p.query);
    res.writeHead(200, { 'Content-Type': 'video/x-flv', 'Cache-Control': 'no-store', ...CORS });
    // HEAD: the headers say it exists; no stream follows.
    if (req.method === 'HEAD') return void res.end();
    res.flushHeaders();
    await opts.pool.watch(c, new HttpViewerSink(res), 'http-flv');
  });

  router.onUpgrade('/flv/*streamPath', async (req: IncomingMessage, socket: Duplex, head: Buffer, p) => {
    const c = await opts.lookup(flvPath(p.path['streamPath']), p.query);
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => ws.terminate());
      ws.on('message', () => undefined);
      void opts.pool.watch(c, new WebSocketViewerSink(ws), 'ws-flv').catch(() => ws.close(1011, 'stream unavailable'));
    });
  });

  return { close: () => wss.close() };
}
