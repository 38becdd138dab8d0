/**
 * The cluster as the chart deploys it, as real processes on this machine: 2 `jt1078 ingest`,
 * 2 `jt1078 packager`, 1 `jt1078 webhook` and 1 `jt1078 intercom`, each started as the chart's
 * pods run them (the command, its config file, POD_NAME/POD_NAMESPACE/NODE_NAME, NATS_URL/
 * REDIS_URL; ready on /readyz; every pod named by POD_NAME in the registry and its metrics), on
 * real NATS and Redis under a unique subject root, with a TCP round-robin in front of the
 * ingests (the LoadBalancer Service) and an HTTP callback receiver behind the webhook.
 *
 * 20 simulated devices stream (reconnecting when closed, as devices do). A rolling restart of
 * both ingests — SIGTERM one, wait until it has exited and its devices are live on the other,
 * start it again, then the other — loses no event (every connection's join has its leave, in
 * that order, once the devices stop), every device has a join after the restart, every stream is
 * live again (frames on NATS, listed by /api/v1/streams), and HLS playback through either
 * packager continues: both packagers' playlists are polled throughout and never fail once they
 * have served, their media sequence only advances, and the newest segment of each decodes
 * (ffprobe) before, during and after the restart. Continuity, not byte equality across replicas.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import HLS from 'hls-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsMediaBus, type FrameEnvelope } from '@jt1078/bus';
import { readCapture } from '@jt1078/jt1078';
import { RedisStreamRegistry } from '@jt1078/store';
import { CaptureReplay, SimulatedDevice, deviceSims, loadCapturePackets } from '@jt1078/svc-simulator';
import { Jt1078Pod } from './support/jt1078-pod.js';
import { freePort, natsUrl, redisUrl, uniquePrefix, until } from './support/services.js';
import { TcpRoundRobin } from './support/tcp-round-robin.js';

const ROOT = path.resolve(import.meta.dirname, '..');
/** Project-made: H.264 320x240 (1 s GOP) + G.711µ, 2 s per loop. */
const CAPTURE = path.join(ROOT, 'testdata/media/h264-g711u.bin');
const DEVICES = 20;
const PREFIX = 'live/jt1078';

/** The chart's Deployments, one entry per pod (a pod more is a line more). */
const PODS = [
  { service: 'ingest', name: 'ingest-a' },
  { service: 'ingest', name: 'ingest-b' },
  { service: 'packager', name: 'packager-a' },
  { service: 'packager', name: 'packager-b' },
  { service: 'webhook', name: 'webhook-a' },
  { service: 'intercom', name: 'intercom-a' },
] as const;

interface Delivery {
  readonly id: string;
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly at: number;
}

interface Poll {
  readonly phase: string;
  readonly status: number;
  /** Media sequence number of the live edge: the segment the newest part belongs to. */
  readonly msn?: number;
  /** The playlist carried on across a device's reconnect (EXT-X-DISCONTINUITY in it). */
  readonly continued?: boolean;
}

HLS.setOptions({ silent: true });
const newestSegment = (p: HLS.types.MediaPlaylist) => p.segments.filter((s) => s.uri && !s.gap).at(-1);
const liveEdge = (p: HLS.types.MediaPlaylist) => p.segments.at(-1)?.mediaSequenceNumber;

describe('the cluster as the chart runs it: rolling restart of both ingests', () => {
  const root = uniquePrefix('cluster');
  const dir = mkdtempSync(path.join(tmpdir(), 'cluster-'));
  const pods = new Map<string, Jt1078Pod>();
  const pod = (name: string) => pods.get(name)!;
  const packagers = () => [...pods.values()].filter((p) => p.opts.service === 'packager');
  let proxy: TcpRoundRobin;
  let receiver: Server;
  let bus: NatsMediaBus;
  let registry: RedisStreamRegistry;
  const devices: SimulatedDevice[] = [];
  const sims = deviceSims('013900000200', DEVICES);
  const deliveries: Delivery[] = [];
  const lastFrameAt = new Map<string, number>();
  let phase = 'start';
  let watched: string[] = [];
  const polls = new Map<string, Poll[]>();
  let polling: Promise<void> | undefined;
  let stopPolling = false;
  const probes: Array<{ phase: string; key: string; codec: string; width: number; frames: number }> = [];

  beforeAll(async () => {
    const [nats, redis] = [await natsUrl(), await redisUrl()];
    bus = await NatsMediaBus.connect({ url: nats, root });
    registry = new RedisStreamRegistry(redis, root);
    await bus.subscribeFrames({ streamKind: 'live' }, (f: FrameEnvelope) => lastFrameAt.set(f.sim, Date.now()));

    receiver = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c));
      req.on('end', () => {
        deliveries.push({ id: String(req.headers['webhook-id']), path: req.url ?? '', body: JSON.parse(raw) as Record<string, unknown>, at: Date.now() });
        res.writeHead(200).end();
      });
    });
    const receiverPort = await freePort();
    await new Promise<void>((r) => receiver.listen(receiverPort, '127.0.0.1', r));

    const ingestPorts: Array<{ host: string; port: number }> = [];
    for (const p of PODS) {
      const [http, realtime, playback, webrtc, audio] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
      if (p.service === 'ingest') ingestPorts.push({ host: '127.0.0.1', port: realtime });
      // The chart's ConfigMap, with this pod's ports (pods share one host here, not one each).
      const config = [
        'jt1078:',
        `  realtime: { addr: '127.0.0.1:${realtime}', prefix: ${PREFIX}, on_join_url: 'http://127.0.0.1:${receiverPort}/join', on_leave_url: 'http://127.0.0.1:${receiverPort}/leave' }`,
        `  playback: { addr: '127.0.0.1:${playback}' }`,
        `  intercom: { jt1078webrtc: { port: ${webrtc}, ip: 127.0.0.1 }, audio_ports: [${audio}, ${audio}] }`,
        'cluster:',
        `  http: { addr: '127.0.0.1:${http}' }`,
        `  nats: { subject_root: ${root} }`,
        '  ingest: { drain_grace_second: 1 }',
        '',
      ].join('\n');
      pods.set(p.name, new Jt1078Pod({ service: p.service, name: p.name, config, httpPort: http, natsUrl: nats, redisUrl: redis }));
    }
    await Promise.all([...pods.values()].map((p) => p.start()));

    proxy = new TcpRoundRobin(ingestPorts);
    const proxyPort = await proxy.listen();
    const capture = loadCapturePackets(readCapture(CAPTURE));
    for (const sim of sims) {
      const d = new SimulatedDevice({ host: '127.0.0.1', port: proxyPort, replay: new CaptureReplay(capture, { sim, loop: true }) });
      devices.push(d);
      void d.start();
    }
  }, 120_000);

  afterAll(async () => {
    stopPolling = true;
    await polling;
    for (const d of devices) d.stop();
    await Promise.all([...pods.values()].map((p) => p.kill()));
    proxy?.close();
    receiver?.close();
    await bus?.deleteStreams();
    await bus?.close();
    await registry?.clear();
    await registry?.close();
  });

  /** Both packagers' playlists of the watched streams, every 500 ms, until stopped. */
  async function pollPlaylists(): Promise<void> {
    while (!stopPolling) {
      await Promise.all(packagers().flatMap((p) => watched.map(async (streamPath) => {
        const key = `${p.name} ${streamPath}`;
        const list = polls.get(key) ?? polls.set(key, []).get(key)!;
        const current = phase;
        try {
          const res = await p.get(`/hls/${streamPath}/index.m3u8`);
          const text = await res.text();
          const edge = res.status === 200 ? liveEdge(HLS.parse(text) as HLS.types.MediaPlaylist) : undefined;
          list.push({ phase: current, status: res.status, continued: text.includes('#EXT-X-DISCONTINUITY\n'), ...(edge === undefined ? {} : { msn: edge }) });
        } catch {
          list.push({ phase: current, status: 0 });
        }
      })));
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  const newestMsn = (key: string) => Math.max(-1, ...(polls.get(key) ?? []).map((p) => p.msn ?? -1));

  /** Each packager's newest segment of each watched stream, fetched through it with its init segment, decodes. */
  async function probeNewestSegments(label: string): Promise<void> {
    for (const p of packagers()) {
      for (const streamPath of watched) {
        // A moved stream pauses while its device reconnects, then its playlist goes on.
        let seg: HLS.types.Segment | undefined;
        await until(async () => {
          seg = newestSegment(HLS.parse(await (await p.get(`/hls/${streamPath}/index.m3u8`)).text()) as HLS.types.MediaPlaylist);
          return seg !== undefined;
        }, 15_000, `${p.name} ${streamPath}: a complete segment (${label})`);
        const init = await p.get(`/hls/${streamPath}/${seg!.map!.uri}`);
        const media = await p.get(`/hls/${streamPath}/${seg!.uri}`);
        expect([init.status, media.status], `${p.name} ${seg!.map!.uri} ${seg!.uri}`).toEqual([200, 200]);
        const file = path.join(dir, `${p.name}-${label}-${seg!.mediaSequenceNumber}.mp4`);
        writeFileSync(file, Buffer.concat([Buffer.from(await init.arrayBuffer()), Buffer.from(await media.arrayBuffer())]));
        const out = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0',
          '-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'json', file], { encoding: 'utf8' })) as { streams: Array<{ codec_name: string; width: number; nb_read_frames: string }> };
        const v = out.streams[0]!;
        probes.push({ phase: label, key: `${p.name} ${streamPath}`, codec: v.codec_name, width: v.width, frames: Number(v.nb_read_frames) });
      }
    }
  }

  async function liveOn(podName: string, which: readonly string[]): Promise<boolean> {
    const entries = await registry.list();
    return which.every((sim) => entries.some((e) => e.sim === sim && e.pod === podName));
  }

  /** SIGTERM `name`; once it has exited and its devices are live on `other`, check playback; start it again. */
  async function roll(name: string, other: string): Promise<{ terminatedAt: number }> {
    phase = `during ${name}`;
    const moved = (await registry.list()).filter((e) => e.pod === name).map((e) => e.sim);
    expect(moved.length, `${name} holds streams before its restart`).toBeGreaterThan(0);
    const terminatedAt = Date.now();
    expect(await pod(name).terminate(), `${name} exits 0 after draining; log:\n${pod(name).log}`).toBe(0);
    await until(() => liveOn(other, moved), 30_000, `${name}'s devices live on ${other}`);
    const back = Date.now();
    await until(() => moved.every((sim) => (lastFrameAt.get(sim) ?? 0) > back), 15_000, `frames from ${name}'s devices through ${other}`);
    await probeNewestSegments(phase);
    await pod(name).start();
    return { terminatedAt };
  }

  it('loses no event, brings every stream back, and keeps HLS playing through both packagers', async () => {
    // Every device live, spread over both ingests; pods name themselves (POD_NAME) in the registry.
    await until(async () => (await registry.list()).length === DEVICES, 30_000, 'every device live');
    const initial = await registry.list();
    expect(new Set(initial.map((e) => e.pod))).toEqual(new Set(['ingest-a', 'ingest-b']));
    expect(initial.map((e) => e.name).sort()).toEqual(sims.map((s) => `${PREFIX}-${s}-1`).sort());
    // ... and every pod in its metrics.
    for (const p of pods.values()) expect(await (await p.get('/metrics')).text(), `${p.name} /metrics`).toContain(`pod="${p.name}"`);

    // Watch one stream that starts on each ingest, through both packagers.
    watched = ['ingest-a', 'ingest-b'].map((p) => initial.find((e) => e.pod === p)!.name);
    phase = 'before';
    polling = pollPlaylists();
    await until(() => packagers().every((p) => watched.every((s) => newestMsn(`${p.name} ${s}`) >= 0)), 30_000, 'both packagers serve both watched streams');
    await probeNewestSegments('before');

    await roll('ingest-a', 'ingest-b');
    const { terminatedAt: secondRestart } = await roll('ingest-b', 'ingest-a');

    // Afterwards: every stream live (registry, /api/v1/streams of both packagers, frames on NATS).
    phase = 'after';
    await until(async () => (await registry.list()).length === DEVICES, 15_000, 'every device registered after the restart');
    const after = await registry.list();
    expect(after.map((e) => e.name).sort()).toEqual(sims.map((s) => `${PREFIX}-${s}-1`).sort());
    for (const p of packagers()) {
      const listed = (await (await p.get('/api/v1/streams')).json()) as Array<{ sim: string; pod: string }>;
      expect(listed.map((s) => s.sim).sort(), `${p.name} /api/v1/streams`).toEqual([...sims].sort());
    }
    const settled = Date.now();
    await until(() => sims.every((sim) => (lastFrameAt.get(sim) ?? 0) > settled), 15_000, 'frames from every device after the restart');
    // Playback continues past the restart: a newer segment than any served during it, and it decodes.
    const duringMax = new Map(packagers().flatMap((p) => watched.map((s) => [`${p.name} ${s}`, newestMsn(`${p.name} ${s}`)] as const)));
    await until(() => [...duringMax].every(([key, msn]) => newestMsn(key) > msn), 20_000, 'a new segment on both packagers after the restart');
    await probeNewestSegments('after');
    for (const p of pods.values()) expect((await p.get('/readyz')).status, `${p.name} ready at the end`).toBe(200);

    stopPolling = true;
    await polling;
    for (const [key, list] of polls) {
      const served = list.slice(list.findIndex((p) => p.status === 200));
      expect(served.filter((p) => p.status !== 200), `${key}: playlist requests that failed once it had served`).toEqual([]);
      const msns = served.map((p) => p.msn ?? -1);
      expect(msns.every((m, i) => i === 0 || m >= msns[i - 1]!), `${key}: media sequence never goes back`).toBe(true);
      const phases = ['before', 'during ingest-a', 'during ingest-b', 'after'];
      const maxIn = phases.map((ph) => Math.max(-1, ...served.filter((p) => p.phase === ph).map((p) => p.msn ?? -1)));
      // A phase can be shorter than a segment plus a device's reconnect (its stream pauses, then
      // continues the same numbering), so the sequence need not move within each one: it must
      // never go back (above) and be beyond the start at the end.
      expect(maxIn.every((m, i) => i === 0 || m >= maxIn[i - 1]!) && maxIn[3]! > maxIn[0]!, `${key}: media sequence advances across the restart (${maxIn.join(' ≤ ')})`).toBe(true);
      // The drained ingest left each stream's cursor: the device, back through the other ingest,
      // continued the same playlist after a discontinuity instead of starting a new one.
      expect(served.some((p) => p.continued), `${key}: the playlist went on across the reconnect`).toBe(true);
    }
    expect(probes).toHaveLength(4 * packagers().length * watched.length);
    for (const p of probes) expect(p, `${p.key} ${p.phase}`).toMatchObject({ codec: 'h264', width: 320, frames: expect.any(Number) });
    expect(probes.every((p) => p.frames > 0), JSON.stringify(probes)).toBe(true);

    // Devices stop: every connection leaves. No event lost: each join has its leave, join first.
    for (const d of devices) d.stop();
    const ids = () => new Set(deliveries.map((d) => d.id));
    const connections = () => [...ids()].filter((id) => id.endsWith('.join')).map((id) => id.slice(0, -'.join'.length));
    await until(() => connections().every((c) => ids().has(`${c}.leave`)), 20_000, 'a leave for every join');
    const first = new Map<string, Delivery>();
    for (const d of deliveries) if (!first.has(d.id)) first.set(d.id, d);
    expect([...first.keys()].filter((id) => id.endsWith('.leave') && !first.has(id.replace(/\.leave$/, '.join'))), 'leaves without a join').toEqual([]);
    for (const c of connections()) {
      const join = first.get(`${c}.join`)!;
      const leave = first.get(`${c}.leave`)!;
      expect([join.path, leave.path]).toEqual(['/join', '/leave']);
      expect(deliveries.indexOf(join), `${c}: join delivered before its leave`).toBeLessThan(deliveries.indexOf(leave));
      expect(leave.body).toMatchObject({ ...join.body, endTime: expect.any(String) });
    }
    // Every device joined again after the second SIGTERM (its connection moved), and more than once overall.
    for (const sim of sims) {
      const joins = [...first.values()].filter((d) => d.path === '/join' && d.body['sim'] === sim);
      expect(joins.some((j) => j.at > secondRestart), `${sim} joined after the restart`).toBe(true);
      expect(joins.length, sim).toBeGreaterThanOrEqual(2);
    }
    expect(connections().length).toBeGreaterThanOrEqual(2 * DEVICES);
  }, 150_000);
});
