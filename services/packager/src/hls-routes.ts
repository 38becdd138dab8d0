/**
 * The origin's HTTP face (DESIGN.md "HTTP"): LL-HLS playlists with blocking reload, init
 * segments, segments and parts, live fMP4 over one response, and the stream list. Headers are
 * what a CDN needs: playlists cache for a second, media forever (names never repeat).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StreamRegistry } from '@jt1078/store';
import { HttpError, echoValue, sendJson, type HttpRouter } from '@jt1078/runtime/http';
import type { LiveStream, LiveStreamPool } from './live-stream-pool.js';
import type { PackagerMetrics } from './packager-metrics.js';
import { parseStreamPath } from './stream-path.js';
import { PROXIED_HEADER, type StreamProxy } from './stream-proxy.js';
import type { PackagerMember } from './rendezvous-owners.js';
import { UrlSignatureRejected, signPlaylistUris, verifyStreamUrl } from './stream-url-signer.js';
import { ViewerCount } from './viewer-count.js';

export interface HlsRoutesOptions {
  readonly pool: LiveStreamPool;
  readonly registry: StreamRegistry;
  readonly prefixes: { readonly realtime: string; readonly playback: string };
  /** How long a new stream may take to produce its first part before 503 (ms). */
  readonly warmupMs?: number;
  /** When set, every playlist and media request needs a signed query (stream-url-signer.ts). */
  readonly signingSecret?: string;
  readonly metrics?: PackagerMetrics;
  /** Streams shared among replicas: requests for a stream this replica does not own go to an owner. */
  readonly sharing?: StreamSharing;
}

export interface StreamSharing {
  readonly self: string;
  /** The stream's owners, best first (this replica among them when it packages the stream). */
  owners(streamPath: string): PackagerMember[];
  /** A forward could not connect to this member. */
  unreachable(name: string): void;
  readonly proxy: StreamProxy;
}

const CORS = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'Content-Length' };
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Resolves when `stream` changes (a new part) or after `ms`; true if it changed. */
function nextChange(stream: LiveStream, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      off();
      resolve(false);
    }, ms);
    const off = stream.packager.segmenter.onChange(() => {
      clearTimeout(timer);
      off();
      resolve(true);
    });
  });
}

async function waitFor(stream: LiveStream, ready: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await nextChange(stream, left);
  }
  return true;
}

function send(res: ServerResponse, body: Uint8Array | string, type: string, cache: string): void {
  const data = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(200, { 'Content-Type': type, 'Content-Length': data.length, 'Cache-Control': cache, ...CORS });
  res.end(data);
}

type RouteKind = 'playlist' | 'init' | 'segment' | 'part' | 'mp4' | 'streams';

function routeKind(file: string): RouteKind {
  if (file === 'index.m3u8') return 'playlist';
  if (file.startsWith('init')) return 'init';
  return file.startsWith('part-') ? 'part' : 'segment';
}

export function addHlsRoutes(router: HttpRouter, opts: HlsRoutesOptions): HttpRouter {
  const warmupMs = opts.warmupMs ?? 4000;
  const m = opts.metrics;
  const viewers = new ViewerCount();

  /** An HttpError, counted by why. */
  const refuse = (reason: string, status: number, message: string, headers: Record<string, string> = {}) => {
    m?.refused.inc({ reason });
    return new HttpError(status, message, { ...CORS, ...headers });
  };

  /** Request duration by route kind and status, blocking waits included. */
  const timed = (kind: (p: { path: Record<string, string> }) => RouteKind, handler: Parameters<HttpRouter['on']>[2]): Parameters<HttpRouter['on']>[2] => async (req, res, p) => {
    const started = performance.now();
    res.once('finish', () => m?.requests.observe({ route: kind(p), status: String(res.statusCode) }, (performance.now() - started) / 1000));
    await handler(req, res, p);
  };

  /** Signed URLs: the query to repeat on the playlist's URIs ('' when signing is off). */
  const authorise = (streamPath: string, query: URLSearchParams): string => {
    if (!opts.signingSecret) return '';
    try {
      return verifyStreamUrl(opts.signingSecret, streamPath, query);
    } catch (err) {
      if (err instanceof UrlSignatureRejected) throw refuse(`signature-${err.reason}`, 403, err.message);
      throw err;
    }
  };

  /**
   * Resolves once `ready()` holds (true) or after `ms` (false), timing the wait. A stream that
   * ends meanwhile will never have what is waited for: 404 at once, not a 503 after the wait.
   */
  const blockFor = async (kind: 'playlist' | 'part', stream: LiveStream, ready: () => boolean, ms: number): Promise<boolean> => {
    const started = performance.now();
    const ended = () => stream.packager.segmenter.playlistState().ended;
    const ok = await waitFor(stream, () => ready() || ended(), ms);
    const outcome = ready() ? 'ready' : ok ? 'ended' : 'timeout';
    m?.blockingWaits.observe({ kind, outcome }, (performance.now() - started) / 1000);
    if (outcome === 'ended') throw refuse('stream-ended', 404, `stream ${stream.coordinates.streamPath} has ended: what was asked for will never exist`);
    return ok;
  };

  /**
   * A stream another replica packages: the request goes to its owners in turn; true once one
   * took it. False (serve it here) when this replica owns it, the request was forwarded already,
   * or no owner can be reached.
   */
  const forwarded = async (req: IncomingMessage, res: ServerResponse, streamPath: string, kind: RouteKind): Promise<boolean> => {
    const sharing = opts.sharing;
    if (!sharing || req.headers[PROXIED_HEADER] !== undefined || !parseStreamPath(streamPath, opts.prefixes)) return false;
    const owners = sharing.owners(streamPath);
    if (owners.length === 0 || owners.some((o) => o.name === sharing.self)) return false;
    for (const owner of owners) {
      const outcome = await sharing.proxy.forward(req, res, owner);
      m?.proxied.inc({ route: kind, outcome });
      if (outcome !== 'unreachable') return true;
      sharing.unreachable(owner.name);
    }
    return false;
  };

  const open = async (streamPath: string): Promise<LiveStream> => {
    const c = parseStreamPath(streamPath, opts.prefixes);
    if (!c) throw refuse('not-a-stream-name', 404, `'${echoValue(streamPath)}' is not a stream name (<prefix>-<sim>-<channel>)`);
    if (!opts.pool.get(streamPath) && !(await opts.registry.list()).some((e) => e.name === streamPath)) {
      throw refuse('not-live', 404, `stream ${streamPath} is not live`);
    }
    const stream = await opts.pool.acquire(c);
    const seg = stream.packager.segmenter;
    if (!(await waitFor(stream, () => seg.playlistState().segments.length > 0 || (seg.playlistState().open?.parts.length ?? 0) > 0, warmupMs))) {
      throw refuse('warming-up', 503, `stream ${streamPath} is warming up`, { 'Retry-After': '1' });
    }
    return stream;
  };

  const playlist = async (req: IncomingMessage, res: ServerResponse, streamPath: string, query: URLSearchParams) => {
    const signed = authorise(streamPath, query);
    const stream = await open(streamPath);
    viewers.saw(streamPath, query.get('viewer')?.slice(0, 64) ?? req.socket.remoteAddress ?? '');
    const seg = stream.packager.segmenter;
    const msnParam = query.get('_HLS_msn');
    const partParam = query.get('_HLS_part');
    if (partParam !== null && msnParam === null) throw refuse('bad-query', 400, '_HLS_part without _HLS_msn');
    if (msnParam !== null) {
      const msn = Number(msnParam);
      const part = partParam === null ? undefined : Number(partParam);
      if (!Number.isInteger(msn) || msn < 0 || (part !== undefined && (!Number.isInteger(part) || part < 0))) {
        throw refuse('bad-query', 400, '_HLS_msn and _HLS_part must be non-negative integers');
      }
      const state = seg.reloadState(msn, part);
      if (state === 'too-far') throw refuse('too-far-ahead', 400, `_HLS_msn=${msn}${part === undefined ? '' : ` _HLS_part=${part}`} is too far ahead of the live edge`);
      // §6.2.5.2: wait for the part; give up after three target durations.
      const limitMs = 3 * seg.playlistState().targetDurationSec * 1000;
      if (state === 'wait' && !(await blockFor('playlist', stream, () => seg.reloadState(msn, part) === 'ready', limitMs))) {
        throw refuse('part-did-not-appear', 503, `part ${msn}.${part ?? 0} did not appear within ${limitMs} ms`, { 'Retry-After': '1' });
      }
    }
    void req;
    const text = seg.playlist();
    send(res, signed ? signPlaylistUris(text, signed) : text, 'application/vnd.apple.mpegurl', msnParam !== null ? 'public, max-age=6' : 'public, max-age=1');
  };

  const media = async (res: ServerResponse, streamPath: string, file: string, query: URLSearchParams) => {
    authorise(streamPath, query);
    const stream = await open(streamPath);
    const seg = stream.packager.segmenter;
    let match: RegExpExecArray | null;
    if (/^init(-[0-9a-f]+)?\.mp4$/.test(file)) {
      const bytes = seg.init(file);
      if (!bytes) throw refuse('not-in-window', 404, `${echoValue(file)} is not in the window`);
      return send(res, bytes, 'video/mp4', IMMUTABLE);
    }
    if ((match = /^seg-(\d+)\.m4s$/.exec(file))) {
      const bytes = seg.segment(Number(match[1]));
      if (!bytes) throw refuse('not-in-window', 404, `${echoValue(file)} is not in the window`);
      return send(res, bytes, 'video/iso.segment', IMMUTABLE);
    }
    if ((match = /^part-(\d+)\.(\d+)\.m4s$/.exec(file))) {
      const [msn, index] = [Number(match[1]), Number(match[2])];
      // The preload hint names a part before it exists: hold the request until it does. A part
      // of a segment already listed (a gap, or one that left the window) will never come: 404 now.
      const limitMs = 3 * seg.playlistState().targetDurationSec * 1000;
      const ready = () => seg.part(msn, index) !== undefined;
      if (!ready() && seg.reloadState(msn, index) === 'wait') await blockFor('part', stream, ready, limitMs);
      const bytes = seg.part(msn, index);
      if (!bytes) throw refuse('not-in-window', 404, `${echoValue(file)} is not in the window`);
      return send(res, bytes, 'video/iso.segment', IMMUTABLE);
    }
    throw refuse('no-such-file', 404, `no such file ${echoValue(file)}`);
  };

  return router
    .on('GET', '/hls/*streamPath/:file', timed((p) => routeKind(p.path['file'] ?? ''), async (req, res, p) => {
      const { streamPath, file } = p.path as { streamPath: string; file: string };
      if (await forwarded(req, res, streamPath, routeKind(file))) return;
      if (file === 'index.m3u8') await playlist(req, res, streamPath, p.query);
      else await media(res, streamPath, file, p.query);
    }))
    .on('GET', '/mp4/*streamPath', timed(() => 'mp4', async (req, res, p) => {
      const streamPath = (p.path['streamPath'] ?? '').replace(/\.mp4$/, '');
      if (await forwarded(req, res, streamPath, 'mp4')) return;
      authorise(streamPath, p.query);
      const stream = await open(streamPath);
      const seg = stream.packager.segmenter;
      res.writeHead(200, { 'Content-Type': 'video/mp4', 'Cache-Control': 'no-store', ...CORS });
      const state = seg.playlistState();
      res.write(seg.init(seg.currentInitUri!)!);
      // From the last key frame: the open segment's parts (a segment starts with one).
      let msn = state.open?.msn ?? 0;
      let next = 0;
      const pump = () => {
        let part;
        while ((part = seg.part(msn, next)) !== undefined) {
          res.write(part);
          next++;
        }
        if (seg.playlistState().open && seg.playlistState().open!.msn > msn && seg.part(msn, next) === undefined) {
          msn++;
          next = 0;
          pump();
        }
      };
      pump();
      const off = seg.onChange(() => {
        stream.lastRequestMs = Date.now();
        pump();
      });
      req.on('close', off);
    }))
    .on('GET', '/api/v1/streams', timed(() => 'streams', async (_req, res) => {
      const entries = await opts.registry.list();
      sendJson(
        res,
        200,
        entries.map((e) => {
          const open = opts.pool.get(e.name);
          const tracks = open?.packager.tracks;
          // The packager's own clock of the last frame when it has the stream open; else the ingest's last report.
          const lastFrameAt = open?.lastFrameMs || Number(e.meta?.['lastFrameAt']) || undefined;
          return {
            streamPath: e.name,
            sim: e.sim,
            channel: e.channel,
            kind: e.kind,
            startTime: e.startTime,
            pod: e.pod,
            ...(e.meta ?? {}),
            // Known while a packager on this pod has the stream open (it has parsed the SPS).
            ...(tracks?.video ? { codecs: [tracks.video.codecString, tracks.audio?.codec].filter(Boolean), width: tracks.video.width, height: tracks.video.height } : {}),
            viewers: viewers.of(e.name),
            ...(lastFrameAt ? { lastFrameAgeMs: Math.max(0, Date.now() - lastFrameAt) } : {}),
          };
        }),
        CORS,
      );
    }));
}
