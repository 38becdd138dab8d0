/**
 * Standard Webhooks signatures (standardwebhooks.com spec, "Signature scheme"):
 * `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`, where the key is
 * the base64 part of a `whsec_` secret (any other secret string is used as raw UTF-8 bytes).
 * Written on node:crypto (five lines) rather than a dependency; tests verify it with the
 * reference `standardwebhooks` package.
 */
import { createHmac } from 'node:crypto';

export interface SignedHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

export class WebhookSigner {
  readonly #key: Buffer;

  constructor(secret: string) {
    this.#key = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
  }

  /** `timestampSeconds` is the attempt's time: a retry signs again with a fresh timestamp, the same id. */
  sign(id: string, timestampSeconds: number, body: string): SignedHeaders {
    const ts = String(Math.floor(timestampSeconds));
    const mac = createHmac('sha256', this.#key).update(`${id}.${ts}.${body}`).digest('base64');
    return { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${mac}` };
  }
}
