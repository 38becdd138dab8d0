/**
 * The WebRTC intercom's HTTP API, each route also under `/jt1078` (m7s-jt1078 mounts its
 * plugin routes there, so its pages post to `/jt1078/api/v1/intercom`):
 *
 * | route | |
 * | --- | --- |
 * | `POST /api/v1/intercom` | offer body → `200 {"type":"answer","sdp":…}` (m7s-jt1078's exact body: pion's SessionDescription), `Location: /api/v1/intercom/sessions/<id>` |
 * | `GET /api/v1/intercom/sessions` | the sessions of this process |
 * | `DELETE /api/v1/intercom/sessions/<id>` | ends one: peer connection closed, subscriptions removed |
 *
 * Errors are JSON `{error}`: 400 naming the field, 401 without the bearer token when
 * `jt1078.intercom.token` is set, 404 for a session this process does not hold, 503 with
 * Retry-After when the process is full or shutting down. CORS is open (`*`): pages of another
 * origin (m7s-jt1078's example page) post offers, and a bearer token is no ambient credential.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, readJsonBody, sendJson, type HttpRouter, type RouteHandler } from '@jt1078/runtime/http';
import { checkBearerToken } from './bearer-token.js';
import { IntercomBusy } from './webrtc-intercom-busy.js';
import { IntercomRequestInvalid } from './webrtc-intercom-request.js';
import { TalkSessionNotFound, WebRtcIntercom, type WebRtcIntercomOptions } from './webrtc-intercom.js';
import { OfferRejection } from './webrtc-metrics.js';

export interface WebRtcRouteDeps extends Omit<WebRtcIntercomOptions, 'webrtc'> {
  /** `jt1078.intercom`: `jt1078webrtc` {port, ip} and `token`. */
  readonly config: { readonly jt1078webrtc: { readonly port: number; readonly ip: string }; readonly token: string };
}

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'Location',
} as const;
const PREFLIGHT = {
  ...CORS,
  'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, Authorization',
  'Access-Control-Max-Age': '600',
} as const;
/** A busy intercom is asked again after this (another pod may answer sooner). */
const RETRY_AFTER_SECONDS = '2';

function statusOf(err: unknown): { status: number; headers: Record<string, string> } {
  if (err instanceof IntercomRequestInvalid) return { status: 400, headers: {} };
  if (err instanceof IntercomBusy) return { status: 503, headers: { 'Retry-After': RETRY_AFTER_SECONDS } };
  if (err instanceof TalkSessionNotFound) return { status: 404, headers: {} };
  if (err instanceof HttpError) return { status: err.status, headers: { ...err.headers } };
  // A dependency that says which answer it deserves (the store's Redis outage: 503, Retry-After).
  const bearing = err as { httpStatus?: unknown; retryAfterSecond?: unknown };
  if (typeof bearing.httpStatus === 'number') return { status: bearing.httpStatus, headers: typeof bearing.retryAfterSecond === 'number' ? { 'Retry-After': String(bearing.retryAfterSecond) } : {} };
  return { status: 500, headers: {} };
}

/** Registers the routes and returns the intercom they serve (the caller closes it on shutdown). */
export function addWebRtcRoutes(router: HttpRouter, deps: WebRtcRouteDeps): WebRtcIntercom {
  const intercom = new WebRtcIntercom({ ...deps, webrtc: deps.config.jt1078webrtc });
  const { token } = deps.config;

  const guarded = (handler: (req: IncomingMessage, res: ServerResponse, id: string) => Promise<void>): RouteHandler => async (req, res, params) => {
    try {
      try {
        checkBearerToken(req, token);
      } catch (err) {
        intercom.metrics.offersRejected.inc({ reason: OfferRejection.unauthorized });
        throw err;
      }
      await handler(req, res, params.path['id'] ?? '');
    } catch (err) {
      const { status, headers } = statusOf(err);
      sendJson(res, status, { error: (err as Error).message }, { ...CORS, ...headers });
    }
  };

  const offer = guarded(async (req, res) => {
    let body: unknown;
    try {
      body = await readJsonBody(req);
    } catch (err) {
      intercom.metrics.offersRejected.inc({ reason: OfferRejection.invalid });
      throw err;
    }
    const { id, answer } = await intercom.offer(body);
    sendJson(res, 200, { type: 'answer', sdp: answer }, { ...CORS, Location: `/api/v1/intercom/sessions/${id}` });
  });
  const list = guarded(async (_req, res) => sendJson(res, 200, intercom.sessions(), CORS));
  const remove = guarded(async (_req, res, id) => sendJson(res, 200, await intercom.end(id), CORS));
  const preflight: RouteHandler = (_req, res) => {
    res.writeHead(204, PREFLIGHT);
    res.end();
  };

  for (const base of ['/api/v1/intercom', '/jt1078/api/v1/intercom']) {
    router
      .on('POST', base, offer)
      .on('OPTIONS', base, preflight)
      .on('GET', `${base}/sessions`, list)
      .on('OPTIONS', `${base}/sessions/:id`, preflight)
      .on('DELETE', `${base}/sessions/:id`, remove);
  }
  return intercom;
}
