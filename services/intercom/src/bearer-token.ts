/**
 * The optional bearer token of the intercom APIs (`jt1078.intercom.token`): when set, every
 * intercom request needs `Authorization: Bearer <token>`, or gets 401. Compared in constant
 * time (both sides hashed first, so their lengths do not show either).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from '@jt1078/runtime/http';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Throws a 401 HttpError unless `req` carries `token` (an empty token lets everything through). */
export function checkBearerToken(req: IncomingMessage, token: string): void {
  if (token === '') return;
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (m && timingSafeEqual(digest(m[1]!), digest(token))) return;
  throw new HttpError(401, m ? 'wrong bearer token' : 'this API needs Authorization: Bearer <jt1078.intercom.token>', { 'WWW-Authenticate': 'Bearer realm="jt1078 intercom"' });
}
