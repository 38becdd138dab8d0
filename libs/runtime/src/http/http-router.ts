/**
 * A small router over node:http: each service registers handlers, the process owns the server
 * (one server serves every service in `jt1078 start`). Handlers are plain functions, so tests
 * call them through a real socket without a framework in between.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, params: RouteParams) => void | Promise<void>;

export interface RouteParams {
  /** Captured path pieces, by name. */
  readonly path: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly url: URL;
}

/** A protocol upgrade (WebSocket): the handler owns the socket from here. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer, params: RouteParams) => void | Promise<void>;

interface PathPattern {
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

interface Route extends PathPattern {
  readonly method: string;
  readonly handler: RouteHandler;
}

interface UpgradeRoute extends PathPattern {
  readonly handler: UpgradeHandler;
}

/**
 * `pattern` is a path with `:name` pieces (one segment) and `*name` pieces (rest of the path,
 * slashes included): `/hls/*streamPath/index.m3u8`.
 */
function compilePattern(pattern: string): PathPattern {
  const names: string[] = [];
  const source = pattern
    .split('/')
    .map((piece) => {
      if (piece.startsWith(':')) {
        names.push(piece.slice(1));
        return '([^/]+)';
      }
      if (piece.startsWith('*')) {
        names.push(piece.slice(1));
        return '(.+?)';
      }
      return piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { pattern: new RegExp(`^${source}$`), names };
}

/** The captured pieces of a match, percent-decoded; undefined when an escape is malformed. */
function pathParams(route: PathPattern, m: RegExpExecArray): Record<string, string> | undefined {
  const path: Record<string, string> = {};
  try {
    route.names.forEach((name, i) => {
      path[name] = decodeURIComponent(m[i + 1] ?? '');
    });
  } catch {
    return undefined;
  }
  return path;
}

/** Maximum accepted request body for JSON APIs; SDP offers are a few KB. */
export const MAX_JSON_BODY_BYTES = 256 * 1024;

export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export class HttpRouter {
  readonly #routes: Route[] = [];
  readonly #upgrades: UpgradeRoute[] = [];

  /** A handler for `method` on `pattern` (see compilePattern). */
  on(method: string, pattern: string, handler: RouteHandler): this {
    this.#routes.push({ method, handler, ...compilePattern(pattern) });
    return this;
  }

  /** A handler for protocol upgrades (WebSocket) on `pattern`. */
  onUpgrade(pattern: string, handler: UpgradeHandler): this {
    this.#upgrades.push({ handler, ...compilePattern(pattern) });
    return this;
  }

  /**
   * Hands an upgrade request to its route; false when none matches. A malformed path or a
   * handler that fails is answered on the raw socket (400/500) and the socket closed.
   */
  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<boolean> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      rejectUpgrade(socket, 400, 'malformed request target');
      return true;
    }
    for (const route of this.#upgrades) {
      const m = route.pattern.exec(url.pathname);
      if (!m) continue;
      const path = pathParams(route, m);
      if (!path) {
        rejectUpgrade(socket, 400, 'malformed percent escape in the path');
        return true;
      }
      try {
        await route.handler(req, socket, head, { path, query: url.searchParams, url });
      } catch (err) {
        rejectUpgrade(socket, err instanceof HttpError ? err.status : 500, (err as Error).message);
      }
      return true;
    }
    return false;
  }

  /** Handles the request when a route matches; returns false otherwise. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let pathMatched = false;
    for (const route of this.#routes) {
      const m = route.pattern.exec(url.pathname);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== req.method && !(route.method === 'GET' && req.method === 'HEAD')) continue;
      const path = pathParams(route, m);
      if (!path) {
        sendJson(res, 400, { error: 'malformed percent escape in the path' });
        return true;
      }
      try {
        await route.handler(req, res, { path, query: url.searchParams, url });
      } catch (err) {
        sendError(res, err);
      }
      return true;
    }
    if (pathMatched) {
      sendJson(res, 405, { error: `method ${req.method} not allowed on ${url.pathname}` });
      return true;
    }
    return false;
  }
}

/** Answers an upgrade request that will not be upgraded, on its raw socket. */
export function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: message.slice(0, 200) });
  socket.end(`HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : 'Error'}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  if (err instanceof HttpError) {
    sendJson(res, err.status, { error: err.message }, { ...err.headers });
  } else {
    sendJson(res, 500, { error: (err as Error).message ?? 'internal error' });
  }
}

/** Reads a JSON body with a size limit; a malformed or oversized body is a 400/413 HttpError. */
export async function readJsonBody(req: IncomingMessage, limit = MAX_JSON_BODY_BYTES): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `request body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}
