/**
 * WHEP (draft-ietf-wish-whep §4): `POST /whep/<streamPath>` with an SDP offer
 * (`application/sdp`) answers 201 with the SDP answer and a `Location` naming the session;
 * `DELETE` on that location ends it. H.265 streams answer 415 with the reason.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError, type HttpRouter } from '@jt1078/runtime/http';
import type { StreamCoordinates } from './stream-path.js';
import type { WhepEgress } from './whep-egress.js';

/** An SDP offer is a few KB; this bounds what a hostile client can make us buffer. */
const MAX_OFFER_BYTES = 64 * 1024;
const CORS = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'Location' };

export interface WhepRoutesOptions {
  readonly egress: WhepEgress;
  readonly lookup: (streamPath: string, query: URLSearchParams) => Promise<StreamCoordinates>;
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
      const { id, answer } = await opts.egress.open(c, offer);
      res.writeHead(201, { 'Content-Type': 'application/sdp', Location: `/whep/${streamPath}/${id}`, ...CORS });
      res.end(answer);
    })
    .on('DELETE', '/whep/*streamPath/:session', (_req, res, p) => {
      if (!opts.egress.end(p.path['streamPath'] ?? '', p.path['session'] ?? '')) throw new HttpError(404, 'no such WHEP session', CORS);
      res.writeHead(200, CORS);
      res.end();
    });
}
