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

/** The captured pieces of a match, percent-decoded (decodePiece throws a 400 for a bad escape). */
function pathParams(route: PathPattern, m: RegExpExecArray): Record<string, string> {
  const path: Record<string, string> = {};
  route.names.forEach((name, i) => {
    path[name] = decodePiece(m[i + 1] ?? '');
  });
  return path;
}

/** Maximum accepted request body for JSON APIs; SDP offers are a few KB. */
export const MAX_JSON_BODY_BYTES = 256 * 1024;

/** Longest piece of a request echoed back in an error: a 200 KB SIM must not come back whole. */
export const MAX_ECHO_CHARS = 64;
/** Longest error message sent at all (a safety net for messages that embed inputs). */
const MAX_ERROR_CHARS = 512;

/** `value` as an error message may quote it: at most MAX_ECHO_CHARS characters, marked when cut. */
export function echoValue(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  return text.length <= MAX_ECHO_CHARS ? text : `${text.slice(0, MAX_ECHO_CHARS)}… (${text.length} chars)`;
}

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
   * Hands an upgrade request to its route; false when none matches. Never rejects: a malformed
   * target or escape, or a handler that fails, is answered on the raw socket and it is closed.
   */
  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<boolean> {
    try {
      const url = parseTarget(req.url);
      for (const route of this.#upgrades) {
        const m = route.pattern.exec(url.pathname);
        if (!m) continue;
        await route.handler(req, socket, head, { path: pathParams(route, m), query: url.searchParams, url });
        return true;
      }
      return false;
    } catch (err) {
      rejectUpgrade(socket, err instanceof HttpError ? err.status : 500, (err as Error)?.message ?? 'internal error');
      return true;
    }
  }

  /**
   * Handles the request when a route matches; returns false otherwise. Never rejects: a request
   * that cannot be parsed (a bad percent escape, a target that is not a path) is a 400, and
   * whatever a handler throws becomes its status (sendError).
   */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    try {
      return await this.#route(req, res);
    } catch (err) {
      sendError(res, err);
      return true;
    }
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = parseTarget(req.url);
    let pathMatched = false;
    for (const route of this.#routes) {
      const m = route.pattern.exec(url.pathname);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== req.method && !(route.method === 'GET' && req.method === 'HEAD')) continue;
      await route.handler(req, res, { path: pathParams(route, m), query: url.searchParams, url });
      return true;
    }
    if (pathMatched) {
      sendJson(res, 405, { error: `method ${echoValue(req.method)} not allowed on ${echoValue(url.pathname)}` });
      return true;
    }
    return false;
  }
}

/**
 * The request target as a URL. RFC 9112 §3.2: an origin server gets an absolute path (or, from a
 * proxy, an absolute URI); `//host/x` must stay a path here, not become another host.
 */
function parseTarget(target: string | undefined): URL {
  const raw = target ?? '/';
  try {
    if (raw.startsWith('/')) return new URL(`http://localhost${raw}`);
    if (/^https?:\/\//i.test(raw)) return new URL(raw);
  } catch {
    /* reported below */
  }
  throw new HttpError(400, `malformed request target '${echoValue(raw)}'`);
}

/** One captured path piece, percent-decoded; a malformed escape (RFC 3986 §2.1) is the client's error. */
function decodePiece(piece: string): string {
  try {
    return decodeURIComponent(piece);
  } catch {
    throw new HttpError(400, `malformed percent escape in '${echoValue(piece)}'`);
  }
}

/** Answers an upgrade request that will not be upgraded, on its raw socket. */
export function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: cut(message) });
  socket.end(`HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : 'Error'}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.writableEnded || res.destroyed) {
    if (!res.writableEnded) res.end();
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

/**
 * An error thrown by a dependency that says which HTTP answer it deserves (the stores' Redis
 * outage: 503 with Retry-After), without this library knowing the dependency.
 */
interface StatusBearing {
  readonly httpStatus: number;
  readonly retryAfterSecond?: number;
  readonly message: string;
}

function isStatusBearing(err: unknown): err is StatusBearing {
  return typeof err === 'object' && err !== null && typeof (err as StatusBearing).httpStatus === 'number';
}

export function sendError(res: ServerResponse, err: unknown): void {
  if (err instanceof HttpError) {
    sendJson(res, err.status, { error: cut(err.message) }, { ...err.headers });
  } else if (isStatusBearing(err)) {
    const headers: Record<string, string> = err.retryAfterSecond === undefined ? {} : { 'Retry-After': String(err.retryAfterSecond) };
    sendJson(res, err.httpStatus, { error: cut(err.message) }, headers);
  } else {
    sendJson(res, 500, { error: cut((err as Error)?.message ?? 'internal error') });
  }
}

function cut(message: string): string {
  return message.length <= MAX_ERROR_CHARS ? message : `${message.slice(0, MAX_ERROR_CHARS)}…`;
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
