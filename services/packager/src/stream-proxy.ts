/**
 * Forwards a request for a stream this replica does not package to a replica that does
 * (rendezvous-owners.ts), streaming: the owner's status, headers and body go to the client as they
 * arrive (a blocking playlist reload waits at the owner, a live MP4 flows for as long as the
 * client stays), over keep-alive connections, never holding a whole response here.
 *
 * A forwarded request carries `Jt1078-Proxied-By: <pod>`; a replica always serves such a request
 * itself, so membership views that differ for a moment cannot bounce a request around.
 */
import { Agent, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { PackagerMember } from './rendezvous-owners.js';

export const PROXIED_HEADER = 'jt1078-proxied-by';

/** Connections kept open per owner: blocking reloads hold one each for up to three target durations. */
const MAX_SOCKETS_PER_OWNER = 256;
/** Owner that accepts no connection within this long is treated as unreachable. */
const CONNECT_TIMEOUT_MS = 1000;

/** Request headers passed on (the rest are hop-by-hop or the proxy's own business). */
const FORWARDED_REQUEST_HEADERS = ['accept', 'accept-encoding', 'range', 'if-none-match', 'if-modified-since', 'user-agent'];
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade', 'te', 'trailer']);

/** How a forward ended. */
export type ProxyOutcome = 'forwarded' | 'unreachable' | 'aborted';

/**
 * A request other than a bodiless GET (WHEP's POST of an offer, its DELETE): the body is read
 * by the caller first, so it can be sent again to the next owner when one is unreachable.
 */
export interface ForwardedExchange {
  readonly method: 'POST' | 'DELETE';
  readonly body?: Buffer;
  /** Request headers passed on besides the usual ones (Content-Type, Authorization). */
  readonly headers?: readonly string[];
}

export class StreamProxy {
  readonly #agent = new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_OWNER, maxFreeSockets: 32, scheduling: 'lifo' });

  constructor(private readonly selfName: string) {}

  /**
   * Forwards `req` to `owner`. 'unreachable' when no connection could be made and nothing was
   * sent to the client (the caller tries the next owner or serves the request itself).
   */
  forward(req: IncomingMessage, res: ServerResponse, owner: PackagerMember, exchange?: ForwardedExchange): Promise<ProxyOutcome> {
    return new Promise((resolve) => {
      const headers: Record<string, string> = { [PROXIED_HEADER]: this.selfName };
      if (exchange?.body) headers['content-length'] = String(exchange.body.length);
      for (const h of [...FORWARDED_REQUEST_HEADERS, ...(exchange?.headers ?? [])]) {
        const v = req.headers[h];
        if (typeof v === 'string') headers[h] = v;
      }
      let settled = false;
      const settle = (o: ProxyOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(connectTimer);
        resolve(o);
      };
      const upstream = request(new URL(req.url ?? '/', owner.url), { method: exchange?.method ?? 'GET', headers, agent: this.#agent });
      const connectTimer = setTimeout(() => upstream.destroy(new Error('connect timeout')), CONNECT_TIMEOUT_MS);
      upstream.once('socket', (socket) => {
        // A reused keep-alive socket is connected already.
        if (!socket.connecting) clearTimeout(connectTimer);
        else socket.once('connect', () => clearTimeout(connectTimer));
      });
      upstream.once('response', (up: IncomingMessage) => {
        clearTimeout(connectTimer);
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
        res.writeHead(up.statusCode ?? 502, out);
        up.pipe(res);
        up.once('end', () => settle('forwarded'));
        up.once('error', () => {
          res.destroy();
          settle('aborted');
        });
        // The owner died mid-response: the client sees a cut response and retries.
        up.once('aborted', () => {
          res.destroy();
          settle('aborted');
        });
      });
      upstream.once('error', () => {
        if (!res.headersSent) return settle('unreachable');
        res.destroy();
        settle('aborted');
      });
      // The client went away: stop the owner's side too (a live MP4, a held blocking reload).
      res.once('close', () => {
        if (!res.writableFinished) upstream.destroy();
        settle('aborted');
      });
      upstream.end(exchange?.body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
