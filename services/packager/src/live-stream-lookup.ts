/**
 * From a requested stream path to the stream's bus coordinates, refusing — as an HttpError with
 * a reason to count — a name that is not a stream name, a stream that is not live, and (when
 * URLs are signed) a request without a valid signature.
 */
import type { StreamRegistry } from '@jt1078/store';
import { HttpError } from '@jt1078/runtime/http';
import { parseStreamPath, type StreamCoordinates } from './stream-path.js';
import { UrlSignatureRejected, verifyStreamUrl } from './stream-url-signer.js';

export interface LiveStreamLookupOptions {
  readonly registry: StreamRegistry;
  readonly prefixes: { readonly realtime: string; readonly playback: string };
  readonly signingSecret?: string;
  /** Counts a refusal by reason. */
  readonly onRefused?: (reason: string) => void;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Echoed names are cut: an error body never repeats a whole hostile input. */
function shown(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}…` : value;
}

export function createLiveStreamLookup(opts: LiveStreamLookupOptions) {
  const refuse = (reason: string, status: number, message: string) => {
    opts.onRefused?.(reason);
    return new HttpError(status, message, { ...opts.headers });
  };
  return async (streamPath: string, query: URLSearchParams, isOpenHere = false): Promise<StreamCoordinates> => {
    if (opts.signingSecret) {
      try {
        verifyStreamUrl(opts.signingSecret, streamPath, query);
      } catch (err) {
        if (err instanceof UrlSignatureRejected) throw refuse(`signature-${err.reason}`, 403, err.message);
        throw err;
      }
    }
    const c = parseStreamPath(streamPath, opts.prefixes);
    if (!c) throw refuse('not-a-stream-name', 404, `'${shown(streamPath)}' is not a stream name (<prefix>-<sim>-<channel>)`);
    if (!isOpenHere && !(await opts.registry.list()).some((e) => e.name === streamPath)) throw refuse('not-live', 404, `stream ${streamPath} is not live`);
    return c;
  };
}
