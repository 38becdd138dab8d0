/**
 * Two `jt1078 packager` processes behind one CDN: fed the same stream through NATS (one
 * `jt1078 ingest`, a simulated device looping the shipped H.264 + G.711µ capture), they serve the
 * same playlists and byte-identical init segments, segments and parts under the same names —
 * the second started 20 s after the stream began, whose first answer already lists the window
 * (rebuilt from the ingest's replay, DESIGN.md "NATS"). Killed with -9 and restarted, a
 * packager rebuilds from the replay and carries on with the same sequence. Blocking
 * playlist reload answers as draft-pantos-hls-rfc8216bis §6.2.5.2 says.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import HLS from 'hls-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCapture } from '@jt1078/jt1078';
import { CaptureReplay, SimulatedDevice, loadCapturePackets } from '@jt1078/svc-simulator';
import { launchPod, type Jt1078Pod } from './support/jt1078-pod.js';
import { freePort, uniquePrefix, until } from './support/services.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CAPTURE = path.join(ROOT, 'testdata/media/h264-g711u.bin');
const SIM = '013900000003';
const STREAM = `live/jt1078-${SIM}-1`;
const HLS_CONFIG = '  hls: { part_ms: 500, segment_ms: 1000 }';

// Not strict: arrival-timed frames (the simulator on a busy machine) can leave a part under 85 %
// of PART-TARGET, a rule test/ll-hls.test.ts holds on regular timing; this test is about replicas.
HLS.setOptions({ strictMode: false, silent: true });

async function text(url: string): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text(), headers: res.headers };
}

async function bytes(url: string): Promise<Buffer> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return Buffer.from(await res.arrayBuffer());
}

function parse(body: string): HLS.types.MediaPlaylist {
  return HLS.parse(body) as HLS.types.MediaPlaylist;
}

/**
 * The same file from both replicas; undefined when it has left both windows meanwhile (a busy
 * machine can take longer than a 6-segment window to walk a playlist). One replica having it
 * and the other not is a failure.
 */
async function fromBoth(x: string, y: string): Promise<[Buffer, Buffer] | undefined> {
  const [rx, ry] = await Promise.all([fetch(x), fetch(y)]);
  const [bx, by] = [Buffer.from(await rx.arrayBuffer()), Buffer.from(await ry.arrayBuffer())];
  if (rx.status === 404 && ry.status === 404) return undefined;
  expect([rx.status, ry.status], `${x} / ${y}`).toEqual([200, 200]);
  return [bx, by];
}

/** The part after the newest one listed: `[msn, part]`. */
function nextPart(p: HLS.types.MediaPlaylist): [number, number] {
  const last = p.segments[p.segments.length - 1]!;
  // A complete segment last: the next part opens the segment after it.
  if (last.uri) return [last.mediaSequenceNumber + 1, 0];
  return [last.mediaSequenceNumber, (last.parts ?? []).filter((x) => !x.hint).length];
}

/** Every URI a playlist names (init, segments, parts), without the preload hint. */
function uris(p: HLS.types.MediaPlaylist): string[] {
  const out = new Set<string>();
  for (const s of p.segments) {
    if (s.map?.uri) out.add(s.map.uri);
    if (s.uri) out.add(s.uri);
    for (const part of s.parts ?? []) if (!part.hint) out.add(part.uri);
  }
  return [...out];
}

describe('packager replicas', () => {
  const root = uniquePrefix('replicas');
  let ingest: Jt1078Pod;
  let a: Jt1078Pod;
  let b: Jt1078Pod;
  let device: SimulatedDevice;
  let bFirst: HLS.types.MediaPlaylist;
  let bFirstMs = 0;
  const playlistUrl = (p: Jt1078Pod, query = '') => `${p.url}/hls/${STREAM}/index.m3u8${query}`;

  beforeAll(async () => {
    const live = await freePort();
    ingest = await launchPod({
      service: 'ingest', name: 'ingest-1', root,
      jt1078: [`  realtime: { addr: '127.0.0.1:${live}' }`, `  playback: { addr: '127.0.0.1:${await freePort()}' }`],
      cluster: [HLS_CONFIG],
    });
    device = new SimulatedDevice({ host: '127.0.0.1', port: live, replay: new CaptureReplay(loadCapturePackets(readCapture(CAPTURE)), { loop: true }) });
    const streamStarted = Date.now();
    void device.start();
    a = await launchPod({ service: 'packager', name: 'packager-a', root, cluster: [HLS_CONFIG] });
    await until(async () => (await text(playlistUrl(a))).status === 200, 20_000, 'packager A to serve the stream');
    // B starts while the stream is running: it has to rebuild what A built from the window.
    await until(async () => parse((await text(playlistUrl(a))).body).segments.filter((s) => s.uri).length >= 4, 20_000, 'A to have 4 segments');
    await new Promise((r) => setTimeout(r, Math.max(0, 20_000 - (Date.now() - streamStarted))));
    b = await launchPod({ service: 'packager', name: 'packager-b', root, cluster: [HLS_CONFIG] });
    const t0 = performance.now();
    const first = await text(playlistUrl(b));
    bFirstMs = performance.now() - t0;
    console.log(`packager B, started ${((Date.now() - streamStarted) / 1000).toFixed(1)} s into the stream: first playlist in ${bFirstMs.toFixed(0)} ms`);
    expect(first.status).toBe(200);
    bFirst = parse(first.body);
  }, 120_000);

  afterAll(async () => {
    device?.stop();
    await Promise.all([a?.terminate(), b?.terminate(), ingest?.terminate()]);
  });

  /** Both playlists at the same moment of the stream: each asked to block until the same next part exists. */
  async function samePoint(): Promise<[string, string]> {
    const [msn, part] = nextPart(parse((await text(playlistUrl(a))).body));
    const q = `?_HLS_msn=${msn}&_HLS_part=${part}`;
    const [x, y] = await Promise.all([text(playlistUrl(a, q)), text(playlistUrl(b, q))]);
    expect([x.status, y.status]).toEqual([200, 200]);
    return [x.body, y.body];
  }

  it('a packager started 20 s into the stream answers its first request with the whole window, rebuilt from the ingest\'s replay', async () => {
    // Not a live start at the next segment mark (which would list at most one segment): the
    // playlist window (6 segments) is there at once, under A's names and numbers.
    const complete = bFirst.segments.filter((s) => s.uri);
    expect(complete.length).toBeGreaterThanOrEqual(5);
    const a1 = parse((await text(playlistUrl(a))).body);
    for (const s of complete) {
      const t = a1.segments.find((u) => u.uri === s.uri);
      if (t) expect([t.mediaSequenceNumber, t.duration]).toEqual([s.mediaSequenceNumber, s.duration]);
    }
    expect(complete.some((s) => a1.segments.some((u) => u.uri === s.uri))).toBe(true);
    expect(bFirstMs).toBeGreaterThan(0);
  });

  it('serve the same playlist and the same bytes under the same names', async () => {
    let identical = 0;
    for (let i = 0; i < 30 && identical < 3; i++) {
      const [x, y] = await samePoint();
      if (x === y) identical++;
      // Whatever the timing, what both list is the same media: same numbers, names, durations.
      const [px, py] = [parse(x), parse(y)];
      const common = px.segments.filter((s) => s.uri && py.segments.some((t) => t.uri === s.uri));
      expect(common.length).toBeGreaterThanOrEqual(4);
      for (const s of common) {
        const t = py.segments.find((u) => u.uri === s.uri)!;
        expect([t.mediaSequenceNumber, t.duration]).toEqual([s.mediaSequenceNumber, s.duration]);
      }
    }
    expect(identical).toBe(3);

    const [x] = await samePoint();
    const listed = uris(parse(x));
    expect(listed.some((u) => /^init-[0-9a-f]{16}\.mp4$/.test(u))).toBe(true);
    expect(listed.filter((u) => u.startsWith('part-')).length).toBeGreaterThan(2);
    let compared = 0;
    // Newest first: what a player asks for, and what is still in both windows.
    for (const uri of listed.reverse()) {
      const both = await fromBoth(`${a.url}/hls/${STREAM}/${uri}`, `${b.url}/hls/${STREAM}/${uri}`);
      if (!both) continue;
      expect(both[0].length, uri).toBeGreaterThan(0);
      expect(Buffer.compare(both[0], both[1]), `${uri} differs between the replicas`).toBe(0);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(Math.min(6, listed.length));

    // And it is media: init + a segment decode, H.264 at the capture's size and Opus audio.
    const p = parse(x);
    // The newest complete segment: older ones may leave the window while this runs.
    const seg = p.segments.filter((s) => s.uri && !s.gap).at(-1)!;
    const dir = mkdtempSync(path.join(tmpdir(), 'replica-'));
    const file = path.join(dir, 'seg.mp4');
    writeFileSync(file, Buffer.concat([await bytes(`${b.url}/hls/${STREAM}/${seg.map!.uri}`), await bytes(`${b.url}/hls/${STREAM}/${seg.uri}`)]));
    const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', file]).toString()) as { streams: Array<{ codec_name: string; width?: number; height?: number }> };
    expect(probe.streams.map((s) => s.codec_name).sort()).toEqual(['h264', 'opus']);
    expect(probe.streams.find((s) => s.codec_name === 'h264')).toMatchObject({ width: 320, height: 240 });
  }, 60_000);

  it('a packager killed with -9 and restarted serves the same sequence again', async () => {
    await a.kill();
    await a.start();
    await until(async () => (await text(playlistUrl(a))).status === 200, 20_000, 'restarted A to serve the stream');
    const after = parse((await text(playlistUrl(a))).body);
    const now = parse((await text(playlistUrl(b))).body);
    const afterSegments = after.segments.filter((s) => s.uri);
    // Rebuilt from the ingest's replay: its first answer lists a whole window at once (a packager
    // starting at the next mark would list one or two segments), under the numbers B uses. (How
    // long the restart took on a loaded machine decides where that window begins, not whether.)
    expect(afterSegments.length).toBeGreaterThanOrEqual(4);
    const common = afterSegments.filter((s) => now.segments.some((t) => t.uri === s.uri && t.mediaSequenceNumber === s.mediaSequenceNumber));
    expect(common.length).toBeGreaterThan(0);
    let compared = 0;
    for (const s of common.reverse()) {
      const both = await fromBoth(`${a.url}/hls/${STREAM}/${s.uri}`, `${b.url}/hls/${STREAM}/${s.uri}`);
      if (!both) continue;
      expect(Buffer.compare(both[0], both[1]), `${s.uri} after the restart`).toBe(0);
      compared++;
    }
    expect(compared).toBeGreaterThan(0);
    // Once its window has filled again, the playlists are the same text.
    let identical = false;
    for (let i = 0; i < 30 && !identical; i++) {
      const [x, y] = await samePoint();
      identical = x === y;
    }
    expect(identical).toBe(true);
  }, 90_000);

  it('answers blocking reloads as §6.2.5.2 says: waits for a future part, 400 when too far ahead, 503 after three target durations', async () => {
    const [msn, part] = nextPart(parse((await text(playlistUrl(b))).body));
    // Two parts ahead: the request is held until the part exists, then the playlist lists it.
    const ahead = part + 1;
    const waited = await text(playlistUrl(b, `?_HLS_msn=${msn}&_HLS_part=${ahead}`));
    expect(waited.status).toBe(200);
    const lists = (body: string, m: number, i: number) => {
      const p = parse(body);
      return p.segments.some((s) => (s.mediaSequenceNumber >= m && s.uri) || (s.mediaSequenceNumber === m && (s.parts ?? []).filter((x) => !x.hint).length > i));
    };
    expect(lists(waited.body, msn, ahead)).toBe(true);
    expect(waited.headers.get('cache-control')).toMatch(/max-age=/);
    // More than two segments beyond the last: 400 at once.
    expect((await text(playlistUrl(b, `?_HLS_msn=${msn + 3}`))).status).toBe(400);
    expect((await text(playlistUrl(b, `?_HLS_part=1`))).status).toBe(400);
    expect((await text(`${b.url}/hls/live/jt1078-${SIM}-9/index.m3u8`)).status).toBe(404);
    // The stream stalls (the device stays connected, sends nothing): the next part never comes,
    // and after three target durations the answer is 503.
    device.stall();
    const stalled = parse((await text(playlistUrl(b))).body);
    const [tailMsn, next] = nextPart(stalled);
    const started = Date.now();
    const gaveUp = await text(playlistUrl(b, `?_HLS_msn=${tailMsn}&_HLS_part=${next + 1}`));
    expect(gaveUp.status).toBe(503);
    expect(gaveUp.headers.get('retry-after')).not.toBeNull();
    // It did wait (three target durations), rather than refusing at once.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3 * stalled.targetDuration * 1000 - 200);
    // The device goes away: the stream ends, and a reload for a part that will never come is
    // answered at once with the finished playlist (§6.2.5.2: no blocking on an ended playlist).
    device.stop();
    let ended = '';
    await until(async () => (ended = (await text(playlistUrl(b))).body).includes('#EXT-X-ENDLIST'), 10_000, 'EXT-X-ENDLIST after the device left');
    const [endMsn, endNext] = nextPart(parse(ended));
    const held = Date.now();
    const atEnd = await text(playlistUrl(b, `?_HLS_msn=${endMsn}&_HLS_part=${endNext + 1}`));
    expect([200, 404]).toContain(atEnd.status);
    expect(Date.now() - held).toBeLessThan(3 * stalled.targetDuration * 1000);
  }, 60_000);
});
