/**
 * Streams end visibly (README "Streams end visibly"): after a stream's leave its playlist gets
 * EXT-X-ENDLIST, a blocking request for a part that will never exist is answered 404 at once
 * (not a 503 after three target durations, not a frozen 200), and once the window has passed
 * the stream is gone (404). A device that comes back before that continues the same playlist.
 * The ingest, bus, registry and packager routes run in this process (MemoryMediaBus), a
 * simulated device on a real socket.
 */
import type { Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryMediaBus } from '@jt1078/bus';
import { readCapture } from '@jt1078/jt1078';
import { parseConfig } from '@jt1078/runtime/config';
import { HttpRouter, serveRouter } from '@jt1078/runtime/http';
import { silentLogger } from '@jt1078/runtime/logger';
import { createMetricsRegistry } from '@jt1078/runtime/metrics';
import { MemoryStreamRegistry } from '@jt1078/store';
import { IngestService } from '@jt1078/svc-ingest';
import { LiveStreamPool, addHlsRoutes } from '@jt1078/svc-packager';
import { CaptureReplay, SimulatedDevice, loadCapturePackets } from '@jt1078/svc-simulator';
import { until } from './support/services.js';

const CAPTURE = path.resolve(import.meta.dirname, '../testdata/media/h264-g711u.bin');
const SIM = '013970000001';
const STREAM = `live/jt1078-${SIM}-1`;
const SEGMENT_MS = 1000;
const WINDOW_SEGMENTS = 3;

describe('a stream that leaves', () => {
  const bus = new MemoryMediaBus();
  const registry = new MemoryStreamRegistry();
  const { config } = parseConfig(`jt1078:\n  realtime: { addr: '127.0.0.1:0' }\n  playback: { addr: '127.0.0.1:0' }\ncluster:\n  hls: { part_ms: 500, segment_ms: ${SEGMENT_MS} }\n`, 'test');
  const ingest = new IngestService({ config, bus, registry, metricsRegistry: createMetricsRegistry({ defaultMetrics: false }), log: silentLogger(), pod: 'pod-e' });
  const pool = new LiveStreamPool({ bus, log: silentLogger(), partMs: 500, segmentMs: SEGMENT_MS, windowSegments: WINDOW_SEGMENTS });
  const capture = loadCapturePackets(readCapture(CAPTURE));
  let server: Server;
  let base = '';
  let device: SimulatedDevice | undefined;
  const connect = () => {
    device = new SimulatedDevice({ host: '127.0.0.1', port: ingest.server.addresses().live.tcp, reconnect: false, replay: new CaptureReplay(capture, { sim: SIM, loop: true }) });
    void device.start();
  };
  const get = async (q = '') => {
    const res = await fetch(`${base}/hls/${STREAM}/index.m3u8${q}`, { signal: AbortSignal.timeout(15_000) });
    return { status: res.status, body: await res.text() };
  };

  beforeAll(async () => {
    await ingest.start();
    const router = addHlsRoutes(new HttpRouter(), { pool, registry, prefixes: { realtime: 'live/jt1078', playback: 'live/jt1079' } });
    server = await serveRouter(router, '127.0.0.1:0');
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    device?.stop();
    pool.close();
    server?.closeAllConnections();
    await new Promise<void>((r) => server?.close(() => r()));
    await ingest.close();
    await bus.close();
  });

  it('gets EXT-X-ENDLIST, answers a blocked request for a part that will never exist with 404, continues when the device is back, and 404s once its window has passed', async () => {
    connect();
    await until(async () => (await get()).status === 200 && (await get()).body.includes('seg-'), 20_000, 'the stream to be served');
    const live = await get();
    expect(live.body).not.toContain('#EXT-X-ENDLIST');
    const msn = Math.max(...[...live.body.matchAll(/seg-(\d+)\.m4s/g)].map((m) => Number(m[1])));

    // A player blocks on a part two segments ahead; the device goes away meanwhile.
    const blocked = get(`?_HLS_msn=${msn + 2}&_HLS_part=0`);
    await new Promise((r) => setTimeout(r, 100));
    const leftAt = Date.now();
    device!.stop();
    let ended = '';
    await until(async () => (ended = (await get()).body).includes('#EXT-X-ENDLIST'), 10_000, 'EXT-X-ENDLIST');
    console.log(`EXT-X-ENDLIST ${Date.now() - leftAt} ms after the device left (leave grace 1.5 s)`);
    expect(ended).not.toContain('EXT-X-PRELOAD-HINT');
    const answer = await blocked;
    expect(answer.status).toBe(404);
    expect(answer.body).toMatch(/ended/);
    // A new blocking request for a future part: 404 at once.
    expect((await get(`?_HLS_msn=${msn + 2}&_HLS_part=0`)).status).toBe(404);

    // The device is back before the window passed: the same playlist goes on after a discontinuity.
    connect();
    await until(async () => {
      const p = await get();
      return p.status === 200 && !p.body.includes('#EXT-X-ENDLIST') && p.body.includes('#EXT-X-DISCONTINUITY');
    }, 20_000, 'the playlist to continue');
    const numbers = [...(await get()).body.matchAll(/seg-(\d+)\.m4s/g)].map((m) => Number(m[1]));
    numbers.forEach((n, i) => i > 0 && expect(n).toBe(numbers[i - 1]! + 1));

    // It leaves for good: ended, then gone once the window (3 segments) has passed.
    device!.stop();
    await until(async () => (await get()).body.includes('#EXT-X-ENDLIST'), 10_000, 'EXT-X-ENDLIST again');
    await until(async () => (await get()).status === 404, 20_000, '404 after the window');
    expect(pool.get(STREAM)).toBeUndefined();
  }, 90_000);
});
