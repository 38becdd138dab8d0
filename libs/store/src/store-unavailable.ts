/**
 * Redis could not answer (down, unreachable, reconnecting past the retry limit, timed out). A
 * typed error that names Redis, so an HTTP route answers 503 with Retry-After (the router reads
 * `httpStatus` and `retryAfterSecond`) instead of leaking ioredis' wording, or worse, an empty
 * success. Errors Redis itself replied (a script error) are not outages and pass unchanged.
 */
import { ReplyError } from 'ioredis';

/** What a client is told to wait before retrying: about one reconnect cycle of redis-connection.ts. */
export const STORE_RETRY_AFTER_SECOND = 2;

export class StoreUnavailable extends Error {
  override readonly name = 'StoreUnavailable';
  readonly kind = 'store-unavailable';
  readonly httpStatus = 503;
  readonly retryAfterSecond = STORE_RETRY_AFTER_SECOND;

  constructor(readonly operation: string, options?: { cause?: unknown }) {
    const cause = options?.cause instanceof Error ? options.cause.message : String(options?.cause ?? 'no answer');
    super(`Redis unavailable (${operation}): ${cause.slice(0, 120)}`, options);
  }
}

/** Runs a Redis call; an outage becomes StoreUnavailable naming `operation`. */
export async function redisCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ReplyError || err instanceof StoreUnavailable) throw err;
    throw new StoreUnavailable(operation, { cause: err });
  }
}
