/**
 * Signed stream URLs (optional; `cluster.hls.signing_secret`). A token authorises one stream
 * until an expiry: `?expires=<unix s>&token=<hex HMAC-SHA256(secret, "<streamPath>\n<expires>")>`.
 * It covers the stream, not a file, so the origin repeats the same query on every URI of the
 * playlist (init, segments, parts, the preload hint): every viewer given the same expiry shares
 * the same URLs, and a CDN that keys on the full URL still caches each segment once per expiry
 * window. The platform that hands out player URLs signs with the same secret (`signStreamUrl`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_PARAMS = { expires: 'expires', token: 'token' } as const;

export type SignatureRejection = 'missing' | 'malformed' | 'expired' | 'bad-token';

export class UrlSignatureRejected extends Error {
  override readonly name = 'UrlSignatureRejected';
  readonly kind = 'url-signature-rejected';
  constructor(
    readonly reason: SignatureRejection,
    readonly streamPath: string,
  ) {
    super(`signed URL for ${streamPath} refused: ${reason === 'missing' ? `no ${SIGNATURE_PARAMS.expires}/${SIGNATURE_PARAMS.token} in the query` : reason === 'expired' ? 'it has expired' : reason === 'malformed' ? 'expires must be unix seconds and token 64 hex digits' : 'the token does not match'}`);
  }
}

function mac(secret: string, streamPath: string, expires: number): Buffer {
  return createHmac('sha256', secret).update(`${streamPath}\n${expires}`).digest();
}

/** The query (without `?`) that authorises `streamPath` until `expires` (unix seconds). */
export function signStreamUrl(secret: string, streamPath: string, expires: number): string {
  if (!Number.isSafeInteger(expires) || expires <= 0) throw new RangeError(`expires ${expires} must be unix seconds`);
  return `${SIGNATURE_PARAMS.expires}=${expires}&${SIGNATURE_PARAMS.token}=${mac(secret, streamPath, expires).toString('hex')}`;
}

/** The query to repeat on the playlist's URIs when `query` authorises `streamPath` now; throws UrlSignatureRejected otherwise. */
export function verifyStreamUrl(secret: string, streamPath: string, query: URLSearchParams, nowMs = Date.now()): string {
  const expiresText = query.get(SIGNATURE_PARAMS.expires);
  const token = query.get(SIGNATURE_PARAMS.token);
  if (expiresText === null || token === null) throw new UrlSignatureRejected('missing', streamPath);
  if (!/^\d{1,12}$/.test(expiresText) || !/^[0-9a-f]{64}$/i.test(token)) throw new UrlSignatureRejected('malformed', streamPath);
  const expires = Number(expiresText);
  if (!timingSafeEqual(mac(secret, streamPath, expires), Buffer.from(token, 'hex'))) throw new UrlSignatureRejected('bad-token', streamPath);
  if (expires * 1000 <= nowMs) throw new UrlSignatureRejected('expired', streamPath);
  return `${SIGNATURE_PARAMS.expires}=${expires}&${SIGNATURE_PARAMS.token}=${token.toLowerCase()}`;
}

/** The playlist with `query` appended to every URI it names (URI="…" attributes and URI lines). */
export function signPlaylistUris(playlist: string, query: string): string {
  return playlist
    .split('\n')
    .map((line) => {
      if (line.startsWith('#')) return line.replace(/URI="([^"?]+)"/g, (_m, uri: string) => `URI="${uri}?${query}"`);
      return line.length > 0 ? `${line}?${query}` : line;
    })
    .join('\n');
}
