/**
 * The origin's HTTP routes over real sockets, with the in-process bus and registry under them:
 * signed URLs (off by default; with a secret, every playlist and media URL needs a valid,
 * unexpired token, and the playlist repeats it on its URIs so a CDN still caches each segment
 * once), CDN headers, and the packager's metrics on /metrics.
 */
import type { Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryMediaBus } from '@jt1078/bus';
import { readCapture } from '@jt1078/jt1078';
import { framesOf } from '@jt1078/jt1078/testdata';
import { SegmentMarker } from '@jt1078/numbering';
import { HttpRouter, addOpsRoutes, serveRouter } from '@jt1078/runtime/http';
import { HealthState } from '@jt1078/runtime/lifecycle';
import { silentLogger } from '@jt1078/runtime/logger';
import { createMetricsRegistry } from '@jt1078/runtime/metrics';
import { MemoryStreamRegistry } from '@jt1078/store';
import { LiveStreamPool, addHlsRoutes, createPackagerMetrics, signStreamUrl } from '@jt1078/svc-packager';

const CAPTURE = path.resolve(import.meta.dirname, '../testdata/media/h264-g711u.bin');
const SIM = '013900000003';
const STREAM = `live/jt1078-${SIM}-1`;
const SECRET = 'origin-secret';

describe('packager routes: signed URLs and metrics', () => {
  const bus = new MemoryMediaBus();
  const registry = new MemoryStreamRegistry();
  const metrics = createMetricsRegistry({ defaultMetrics: false });
  let pool: LiveStreamPool;
  let server: Server;
  let base = '';

  beforeAll(async () => {
    // What an ingest would have published: the capture looped 5 times (10 s), marked, numbered.
    const frames = framesOf(readCapture(CAPTURE));
    const marker = new SegmentMarker(1000, 1_764_582_000_000);
    const last = { video: -1, audio: -1 };
    let sequence = 0;
    for (let pass = 0; pass < 5; pass++) {
      for (const f of frames) {
        const mediaKind = f.kind as 'video' | 'audio';
        const timestamp = Math.max(last[mediaKind] + 1, f.timestamp! + pass * 2000);
        last[mediaKind] = timestamp;
        const segment = marker.mark({ mediaKind, keyFrame: f.keyFrame, timestamp });
        bus.publishFrame({
          streamKind: 'live', sim: SIM, channel: 1, codec: f.codec!, mediaKind, keyFrame: f.keyFrame, timestamp, sequence: sequence++,
          connectionId: 'conn-1', streamPath: STREAM, data: f.data, ...(segment === undefined ? {} : { segment }),
        });
      }
    }
    await registry.claim(STREAM, { pod: 'ingest-1', connectionId: 'conn-1', sim: SIM, channel: 1, kind: 'live', startTime: '2026-12-01 10:00:00', joinBody: {} }, 60_000);
    const packagerMetrics = createPackagerMetrics(metrics);
    pool = new LiveStreamPool({ bus, log: silentLogger(), partMs: 500, segmentMs: 1000, metrics: packagerMetrics });
    const router = addOpsRoutes(new HttpRouter(), new HealthState(), metrics);
    addHlsRoutes(router, { pool, registry, metrics: packagerMetrics, signingSecret: SECRET, prefixes: { realtime: 'live/jt1078', playback: 'live/jt1079' } });
    server = await serveRouter(router, '127.0.0.1:0');
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    pool.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await bus.close();
  });

  const expires = () => Math.floor(Date.now() / 1000) + 300;

  it('refuses unsigned, forged and expired URLs with 403, serves signed ones, and signs the URIs a playlist names', async () => {
    const unsigned = await fetch(`${base}/hls/${STREAM}/index.m3u8`);
    expect(unsigned.status).toBe(403);
    expect(((await unsigned.json()) as { error: string }).error).toMatch(/no expires\/token/);
    const query = signStreamUrl(SECRET, STREAM, expires());
    // Forged: the token's first hex digit changed (to another digit, whatever it was).
    const forged = query.replace(/token=(.)/, (_m, c: string) => `token=${c === '0' ? '1' : '0'}`);
    expect((await fetch(`${base}/hls/${STREAM}/index.m3u8?${forged}`)).status).toBe(403);
    expect((await fetch(`${base}/hls/${STREAM}/index.m3u8?${signStreamUrl(SECRET, STREAM, Math.floor(Date.now() / 1000) - 1)}`)).status).toBe(403);
    // A token for one stream opens no other.
    expect((await fetch(`${base}/hls/live/jt1078-${SIM}-2/index.m3u8?${query}`)).status).toBe(403);

    const res = await fetch(`${base}/hls/${STREAM}/index.m3u8?${query}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=1');
    const playlist = await res.text();
    const uris = [...playlist.matchAll(/URI="([^"]+)"/g)].map((m) => m[1]!).concat(playlist.split('\n').filter((l) => l && !l.startsWith('#')));
    expect(uris.length).toBeGreaterThan(5);
    for (const uri of uris) expect(uri.endsWith(`?${query}`), uri).toBe(true);
    // Every URI the playlist names works as written (the preload hint's part may not exist yet).
    for (const uri of uris.filter((u) => !playlist.includes(`PRELOAD-HINT:TYPE=PART,URI="${u}"`))) {
      const media = await fetch(`${base}/hls/${STREAM}/${uri}`);
      expect(media.status, uri).toBe(200);
      expect(media.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect((await media.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
    // The same file without the query is refused.
    const seg = uris.find((u) => u.startsWith('seg-'))!.split('?')[0]!;
    expect((await fetch(`${base}/hls/${STREAM}/${seg}`)).status).toBe(403);
    expect((await fetch(`${base}/mp4/${STREAM}.mp4`)).status).toBe(403);
  });

  it('counts streams, parts, segments, requests, waits and refusals on /metrics', async () => {
    const query = signStreamUrl(SECRET, STREAM, expires());
    const playlist = await (await fetch(`${base}/hls/${STREAM}/index.m3u8?${query}`)).text();
    const [msn, parts] = (() => {
      const open = [...playlist.matchAll(/part-(\d+)\.(\d+)\.m4s/g)].at(-1)!;
      return [Number(open[1]), Number(open[2])];
    })();
    // Nothing more will be published: a reload for a later part waits three target durations, then 503.
    const blocked = await fetch(`${base}/hls/${STREAM}/index.m3u8?${query}&_HLS_msn=${msn}&_HLS_part=${parts + 1}`);
    expect(blocked.status).toBe(503);
    const text = await (await fetch(`${base}/metrics`)).text();
    const value = (line: RegExp) => Number(line.exec(text)?.[1] ?? NaN);
    expect(value(/^jt1078_packager_streams (\d+)$/m)).toBe(1);
    expect(value(/^jt1078_packager_watched_streams (\d+)$/m)).toBe(1);
    expect(value(/^jt1078_packager_segments (\d+)$/m)).toBeGreaterThanOrEqual(4);
    expect(value(/^jt1078_packager_parts (\d+)$/m)).toBeGreaterThan(value(/^jt1078_packager_segments (\d+)$/m));
    expect(value(/^jt1078_packager_request_seconds_count\{route="playlist",status="200"\} (\d+)$/m)).toBeGreaterThanOrEqual(2);
    expect(value(/^jt1078_packager_request_seconds_count\{route="segment",status="200"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
    expect(value(/^jt1078_packager_blocking_wait_seconds_count\{kind="playlist",outcome="timeout"\} (\d+)$/m)).toBe(1);
    expect(value(/^jt1078_packager_requests_refused_total\{reason="signature-missing"\} (\d+)$/m)).toBeGreaterThanOrEqual(2);
    expect(value(/^jt1078_packager_requests_refused_total\{reason="signature-expired"\} (\d+)$/m)).toBe(1);
    expect(value(/^jt1078_packager_requests_refused_total\{reason="part-did-not-appear"\} (\d+)$/m)).toBe(1);
  }, 20_000);
});
