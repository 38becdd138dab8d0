/**
 * A small router over node:http: each service registers handlers, the process owns the server
 * (one server serves every service in `jt1078 start`). Handlers are plain functions, so tests
 * call them through a real socket without a framework in between.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, params: RouteParams) => void | Promise<void>;

export interface RouteParams {
  /** Captured path pieces, by name. */
  readonly path: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly url: URL;
}

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly handler: RouteHandler;
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

  /**
   * `pattern` is a path with `:name` pieces (one segment) and `*name` pieces (rest of the path,
   * slashes included): `/hls/*streamPath/index.m3u8`.
   */
  on(method: string, pattern: string, handler: RouteHandler): this {
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
    this.#routes.push({ method, pattern: new RegExp(`^${source}$`), names, handler });
    return this;
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
      const path: Record<string, string> = {};
      route.names.forEach((name, i) => {
        path[name] = decodeURIComponent(m[i + 1] ?? '');
      });
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
