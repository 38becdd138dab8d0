/**
 * Sends 0x9101 / 0x9102 through a JT808 platform's HTTP API, go-jt808's form (the platform
 * m7s-jt1078's intercom example uses): `POST <jt808_url>/api/v1/jt808/9101` with
 * `{key: <sim>, data: {...}}`, answered with HTTP 200 and `{code, msg, data}`, code 200 on
 * success (the device acknowledged), 500 otherwise (e.g. the terminal is not connected).
 * Never throws: the outcome is reported to the lease API's caller as it is.
 */
import type { Jt808HttpCommand } from '@jt1078/jt1078';

export type Jt808Command = '9101' | '9102';

export interface Jt808Outcome {
  readonly url: string;
  /** HTTP 2xx and go-jt808's `code` 200 (or no code at all). */
  readonly ok: boolean;
  readonly status?: number;
  readonly code?: number;
  readonly msg?: string;
  readonly data?: unknown;
  /** The request did not get an answer (refused, timed out …). */
  readonly error?: string;
}

/** go-jt808 waits up to 3 s for the device's reply; leave it room. */
const DEFAULT_TIMEOUT_MS = 5000;

export class Jt808Gateway {
  readonly #base: string;

  constructor(
    baseUrl: string,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {
    // Both `http://host:port` and `http://host:port/api/v1/jt808` name the same API.
    this.#base = baseUrl.replace(/\/+$/, '').replace(/\/api\/v1\/jt808$/, '');
  }

  urlOf(command: Jt808Command): string {
    return `${this.#base}/api/v1/jt808/${command}`;
  }

  async send(command: Jt808Command, body: Jt808HttpCommand<unknown>): Promise<Jt808Outcome> {
    const url = this.urlOf(command);
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      return { url, ok: false, error: e.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (e.cause?.code ?? e.message) };
    }
    const text = await res.text().catch(() => '');
    let reply: { code?: unknown; msg?: unknown; data?: unknown } | undefined;
    try {
      reply = JSON.parse(text) as typeof reply;
    } catch {
      reply = undefined;
    }
    const code = typeof reply?.code === 'number' ? reply.code : undefined;
    return {
      url,
      ok: res.ok && (code === undefined || code === 200),
      status: res.status,
      ...(code === undefined ? {} : { code }),
      ...(typeof reply?.msg === 'string' ? { msg: reply.msg } : reply === undefined && text ? { msg: text.slice(0, 200) } : {}),
      ...(reply?.data === undefined ? {} : { data: reply.data }),
    };
  }
}
