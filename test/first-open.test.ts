/**
 * A stream's first playlist request, over HTTP, on real NATS: 50 live streams published by one
 * bus (the ingest's part: marked, numbered, paced by the capture's timestamps), one packager's
 * routes on another bus. Each stream is opened once; the first request must be answered from the
 * owner's replay at once — the old JetStream window read ran into its 10 s timeout on live
 * streams. The latencies are printed (docs/benchmarks.md); the assertions are that every first
 * open got the window (no replay timed out, none found no owner) and a playlist with segments.
 */
import type { Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsMediaBus } from '@jt1078/bus';
import { readCapture } from '@jt1078/jt1078';
import { framesOf } from '@jt1078/jt1078/testdata';
import { SegmentMarker } from '@jt1078/numbering';
import { HttpRouter, serveRouter } from '@jt1078/runtime/http';
import { silentLogger } from '@jt1078/runtime/logger';
import { MemoryStreamRegistry } from '@jt1078/store';
import { LiveStreamPool, addHlsRoutes } from '@jt1078/svc-packager';
import { deviceSims } from '@jt1078/svc-simulator';
import { natsUrl, uniquePrefix } from './support/services.js';

const CAPTURE = path.resolve(import.meta.dirname, '../testdata/media/h264-g711u.bin');
const STREAMS = 50;
const SIMS = deviceSims('013980000000', STREAMS);

describe('first opens of live streams', () => {
  const root = uniquePrefix('firstopen');
  const registry = new MemoryStreamRegistry();
  let owner: NatsMediaBus;
  let viewer: NatsMediaBus;
  let pool: LiveStreamPool;
  let server: Server;
  let base = '';
  let timer: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    owner = await NatsMediaBus.connect({ url: await natsUrl(), root });
    viewer = await NatsMediaBus.connect({ url: await natsUrl(), root });
    const frames = framesOf(readCapture(CAPTURE)).filter((f) => f.codec && f.timestamp !== undefined);
    const loopMs = frames.at(-1)!.timestamp! + 40;
    const t0 = performance.now();
    const streams = SIMS.map((sim, i) => ({ sim, marker: new SegmentMarker(1000, 1_764_000_000_000 + i), next: 0, loop: 0, sequence: 0, last: { video: -1, audio: -1 }, offset: (i * loopMs) / STREAMS }));
    for (const s of streams) {
      await registry.claim(`live/jt1078-${s.sim}-1`, { pod: 'ingest', connectionId: `c-${s.sim}`, sim: s.sim, channel: 1, kind: 'live', startTime: '2026-12-04 00:00:00', joinBody: {} }, 600_000);
    }
    // Paced as a device sends: each stream's frames when their time has come.
    timer = setInterval(() => {
      const now = performance.now() - t0;
      for (const s of streams) {
        while (s.loop * loopMs + frames[s.next]!.timestamp! + s.offset <= now) {
          const f = frames[s.next]!;
          const mediaKind = f.kind as 'video' | 'audio';
          const timestamp = Math.max(s.last[mediaKind] + 1, s.loop * loopMs + f.timestamp!);
          s.last[mediaKind] = timestamp;
          const segment = s.marker.mark({ mediaKind, keyFrame: f.keyFrame, timestamp });
          owner.publishFrame({
            streamKind: 'live', sim: s.sim, channel: 1, codec: f.codec!, mediaKind, keyFrame: f.keyFrame, timestamp, sequence: s.sequence++,
            connectionId: `c-${s.sim}`, streamPath: `live/jt1078-${s.sim}-1`, data: f.data, ...(segment === undefined ? {} : { segment }),
          });
          if (++s.next === frames.length) {
            s.next = 0;
            s.loop++;
          }
        }
      }
    }, 10);
    pool = new LiveStreamPool({ bus: viewer, log: silentLogger(), partMs: 500, segmentMs: 1000 });
    server = await serveRouter(addHlsRoutes(new HttpRouter(), { pool, registry, prefixes: { realtime: 'live/jt1078', playback: 'live/jt1079' } }), '127.0.0.1:0');
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    // Several segments into every stream before the first viewer comes.
    await new Promise((r) => setTimeout(r, 5000));
  }, 30_000);

  afterAll(async () => {
    clearInterval(timer);
    pool?.close();
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await viewer?.close();
    await owner?.deleteStreams();
    await owner?.close();
  });

  it('answers each of 50 first playlist requests from the replay, with segments', async () => {
    const took: number[] = [];
    for (const sim of SIMS) {
      const t = performance.now();
      const res = await fetch(`${base}/hls/live/jt1078-${sim}-1/index.m3u8`, { signal: AbortSignal.timeout(20_000) });
      const body = await res.text();
      took.push(performance.now() - t);
      expect(res.status, sim).toBe(200);
      expect(body).toMatch(/seg-\d+\.m4s/);
    }
    expect(viewer.stats.replays).toEqual({ replayed: STREAMS, 'no-owner': 0, timeout: 0 });
    took.sort((a, b) => a - b);
    console.log(`first playlist requests over HTTP: p50 ${took[24]!.toFixed(0)} ms, p99 ${took[49]!.toFixed(0)} ms, max ${took[49]!.toFixed(0)} ms over ${STREAMS}`);
  }, 60_000);
});
