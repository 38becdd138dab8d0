/**
 * CORS for the JSON APIs (`/api/…`, `/jt1078/api/…`): a platform page on another origin leases
 * ports, posts offers and reads the stream list, so every API answer allows any origin (the
 * bearer token is no ambient credential) and a preflight (OPTIONS) is answered here for every
 * API route, before the routes are asked — a route need not declare OPTIONS itself.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const API_PATH = /^\/(?:jt1078\/)?api\//;

export const API_CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'Location, Retry-After, Content-Length',
} as const;

const PREFLIGHT_HEADERS = {
  ...API_CORS_HEADERS,
  'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, Authorization',
  'Access-Control-Max-Age': '600',
} as const;

/** Adds the CORS headers to an API request's answer; true when it was a preflight, answered already. */
export function applyApiCors(req: IncomingMessage, res: ServerResponse): boolean {
  const path = (req.url ?? '/').split('?', 1)[0]!;
  if (!API_PATH.test(path)) return false;
  for (const [k, v] of Object.entries(API_CORS_HEADERS)) res.setHeader(k, v);
  if (req.method !== 'OPTIONS') return false;
  res.writeHead(204, PREFLIGHT_HEADERS);
  res.end();
  return true;
}
