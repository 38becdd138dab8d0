/**
 * WHEP (draft-ietf-wish-whep §4): `POST /whep/<streamPath>` with an SDP offer
 * (`application/sdp`) answers 201 with the SDP answer and a `Location` naming the session;
 * `DELETE` on that location ends it. H.265 streams answer 415 with the reason.
 *
 * With replicas sharing streams, WHEP follows HLS's ownership (README "Packager replicas"): a
 * replica that does not own the stream forwards the exchange (POST and DELETE) to its owners in
 * turn, so the session, its ICE candidates and its media are the owner's, which has the stream's
 * packetization already; the answer and its `Location` come back unchanged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, type HttpRouter } from '@jt1078/runtime/http';
import type { StreamSharing } from './hls-routes.js';
import { PROXIED_HEADER, type ForwardedExchange, type ProxyOutcome } from './stream-proxy.js';
import type { StreamCoordinates } from './stream-path.js';
import type { WhepEgress } from './whep-egress.js';

/** An SDP offer is a few KB; this bounds what a hostile client can make us buffer. */
const MAX_OFFER_BYTES = 64 * 1024;
const CORS = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'Location' };

export interface WhepRoutesOptions {
  readonly egress: WhepEgress;
  readonly lookup: (streamPath: string, query: URLSearchParams) => Promise<StreamCoordinates>;
  /** Replicas sharing streams: a stream another replica owns is forwarded to it. */
  readonly sharing?: StreamSharing;
  readonly onProxied?: (outcome: ProxyOutcome) => void;
}

async function readOffer(req: IncomingMessage): Promise<string> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/sdp') throw new HttpError(415, 'a WHEP offer is Content-Type: application/sdp', CORS);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_OFFER_BYTES) throw new HttpError(413, `an SDP offer larger than ${MAX_OFFER_BYTES} bytes`, CORS);
    chunks.push(chunk as Buffer);
  }
  const sdp = Buffer.concat(chunks).toString('utf8');
  if (!sdp.startsWith('v=0')) throw new HttpError(400, 'the body is not an SDP offer (it must start with v=0)', CORS);
  return sdp;
}

export function addWhepRoutes(router: HttpRouter, opts: WhepRoutesOptions): HttpRouter {
  /** True once an owner took the exchange; false to serve it here (owned here, forwarded already, no owner reachable). */
  const forwarded = async (req: IncomingMessage, res: ServerResponse, streamPath: string, exchange: ForwardedExchange): Promise<boolean> => {
    const sharing = opts.sharing;
    if (!sharing || req.headers[PROXIED_HEADER] !== undefined) return false;
    const owners = sharing.owners(streamPath);
    if (owners.length === 0 || owners.some((o) => o.name === sharing.self)) return false;
    for (const owner of owners) {
      const outcome = await sharing.proxy.forward(req, res, owner, exchange);
      opts.onProxied?.(outcome);
      if (outcome !== 'unreachable') return true;
      sharing.unreachable(owner.name);
    }
    return false;
  };

  const preflight: Parameters<HttpRouter['on']>[2] = (_req, res) => {
    res.writeHead(204, { ...CORS, 'Access-Control-Allow-Methods': 'POST, DELETE, OPTIONS', 'Access-Control-Allow-Headers': 'Content-Type, Authorization', 'Access-Control-Max-Age': '600' });
    res.end();
  };
  return router
    .on('OPTIONS', '/whep/*streamPath', preflight)
    .on('POST', '/whep/*streamPath', async (req, res, p) => {
      const streamPath = p.path['streamPath'] ?? '';
      const c = await opts.lookup(streamPath, p.query);
      const offer = await readOffer(req);
      if (await forwarded(req, res, streamPath, { method: 'POST', body: Buffer.from(offer, 'utf8'), headers: ['content-type', 'authorization'] })) return;
      const { id, answer } = await opts.egress.open(c, offer);
      res.writeHead(201, { 'Content-Type': 'application/sdp', Location: `/whep/${streamPath}/${id}`, ...CORS });
      res.end(answer);
    })
    .on('DELETE', '/whep/*streamPath/:session', async (req, res, p) => {
      const streamPath = p.path['streamPath'] ?? '';
      if (opts.egress.end(streamPath, p.path['session'] ?? '')) {
        res.writeHead(200, CORS);
        res.end();
        return;
      }
      if (await forwarded(req, res, streamPath, { method: 'DELETE', headers: ['authorization'] })) return;
      throw new HttpError(404, 'no such WHEP session', CORS);
    });
}
