/**
 * One HTTP POST of one callback, as m7s-jt1078 sends it (JSON, `charset=utf-8`), classified into
 * what the delivery loop must do next. Keep-alive agents so a busy receiver costs no TCP handshake
 * per event; https verification is skipped only when configured (m7s-jt1078 always skips it).
 */
import http from 'node:http';
import https from 'node:https';
import { parseRetryAfter } from './retry-schedule.js';

export type PostOutcome =
  | { readonly kind: 'delivered'; readonly status: number }
  /** 410 Gone: the receiver asks us to stop sending to this URL (Standard Webhooks). */
  | { readonly kind: 'gone'; readonly status: number }
  | { readonly kind: 'retry'; readonly reason: string; readonly status?: number; readonly retryAfterMs?: number };

export interface CallbackPosterOptions {
  readonly timeoutMs: number;
  readonly insecureSkipVerify: boolean;
  /** Most sockets kept per receiver host; bounds concurrency towards one receiver too. */
  readonly maxSockets?: number;
}

/** Response bodies are read (to free the socket) but not kept beyond this many bytes. */
const MAX_RESPONSE_BYTES = 16 * 1024;

export class CallbackPoster {
  readonly #httpAgent: http.Agent;
  readonly #httpsAgent: https.Agent;

  constructor(private readonly opts: CallbackPosterOptions) {
    const maxSockets = opts.maxSockets ?? 64;
    this.#httpAgent = new http.Agent({ keepAlive: true, maxSockets });
    this.#httpsAgent = new https.Agent({ keepAlive: true, maxSockets, rejectUnauthorized: !opts.insecureSkipVerify });
  }

  post(url: string, body: string, headers: Readonly<Record<string, string>>): Promise<PostOutcome> {
    return new Promise((resolve) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        resolve({ kind: 'retry', reason: `malformed URL ${url}` });
        return;
      }
      const secure = target.protocol === 'https:';
      const request = (secure ? https : http).request(
        target,
        {
          method: 'POST',
          agent: secure ? this.#httpsAgent : this.#httpAgent,
          headers: {
            'Content-Type': 'application/json; charset=utf-8',
            'Content-Length': Buffer.byteLength(body),
            ...headers,
          },
          timeout: this.opts.timeoutMs,
        },
        (res) => {
          let seen = 0;
          res.on('data', (chunk: Buffer) => {
            seen += chunk.length;
            if (seen > MAX_RESPONSE_BYTES) res.destroy();
          });
          const finish = () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve({ kind: 'delivered', status });
            else if (status === 410) resolve({ kind: 'gone', status });
            else {
              const retryAfterMs = parseRetryAfter(res.headers['retry-after'] ?? null, Date.now());
              resolve({ kind: 'retry', reason: `HTTP ${status}`, status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
            }
          };
          res.on('end', finish);
          res.on('close', finish);
          res.on('error', finish);
        },
      );
      // `timeout` fires on socket inactivity; a receiver that accepts and then hangs is cut here.
      request.on('timeout', () => request.destroy(new Error(`timed out after ${this.opts.timeoutMs} ms`)));
      request.on('error', (err) => resolve({ kind: 'retry', reason: err.message }));
      request.end(body);
    });
  }

  close(): void {
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }
}
