/**
 * The image users deploy, built (deploy/ci/build-image.sh) and run as the kustomize base runs it,
 * then broken on purpose. testcontainers starts, on one Docker network: NATS (JetStream) and
 * Redis (images from Debian's packages, named `nats` and `redis` as the ConfigMap names them),
 * 2 ingest, 2 packager, a webhook and an intercom from jt1078-cluster:local — each with its
 * Deployment's args, env (downward API resolved), user, read-only root, dropped capabilities,
 * the ConfigMap's config.yaml mounted where the pod mounts it and a tmpfs where it mounts an
 * emptyDir, ready on /readyz. The only change to the rendered config is the callback URLs,
 * pointing at a receiver on this host. Simulated devices on this host reach the ingests through
 * their published ports behind a TCP round-robin (the LoadBalancer Service).
 *
 * Faults, one after the other, each followed by the same checks (every stream registered and
 * sending frames again, both packagers listing every stream and serving a newer segment of a
 * watched stream that decodes with ffprobe), with figures printed per fault:
 *   `docker kill` of an ingest (SIGKILL), then it is started again;
 *   `docker stop` of the other (SIGTERM after the preStop hook; drains and exits 0 within the
 *   grace period), then started again;
 *   `docker pause` of a packager for 10 s;
 *   `docker network disconnect` of an ingest for 10 s, then reconnect;
 *   `docker kill` of NATS, then of Redis, each started again.
 * At the end the devices stop and no event is lost: every join has exactly one leave, after it.
 *
 * Docker is required: without it this test FAILS (CI installs and starts it, .ci/run).
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import HLS from 'hls-parser';
import { GenericContainer, Network, Wait, type StartedNetwork, type StartedTestContainer } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { NatsMediaBus, type FrameEnvelope } from '@jt1078/bus';
import { readCapture } from '@jt1078/jt1078';
import { RedisStreamRegistry } from '@jt1078/store';
import { CaptureReplay, SimulatedDevice, deviceSims, loadCapturePackets } from '@jt1078/svc-simulator';
import { CallbackReceiver } from './support/callback-receiver.js';
import { renderKustomizeBase } from './support/kustomize-pods.js';
import { docker, startPod, type StartedPod } from './support/pod-container.js';
import { freePort, until } from './support/services.js';
import { TcpRoundRobin } from './support/tcp-round-robin.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const IMAGE = process.env['JT1078_IMAGE'] ?? 'jt1078-cluster:local';
const ARTIFACTS = path.join(ROOT, 'test-artifacts/container-cluster');
const runFile = promisify(execFile);
const CAPTURE = path.join(ROOT, 'testdata/media/h264-g711u.bin');
const DEVICES = 10;
/** The pods the cluster runs, per Deployment of the base. */
const REPLICAS: Readonly<Record<string, number>> = { 'jt1078-ingest': 2, 'jt1078-packager': 2, 'jt1078-webhook': 1, 'jt1078-intercom': 1 };
/** How long a fault lasts where it has a duration (pause, network disconnect, NATS/Redis down). */
const FAULT_MS = 10_000;
const SERVER_DOWN_MS = 5_000;
/** From a fault's end to every stream registered, sending and served again. */
const RECOVERY_TIMEOUT_MS = 60_000;
/** A stream registered under a suffixed name beside its own must be gone within this long. */
const NAME_TIMEOUT_MS = 30_000;

HLS.setOptions({ silent: true });
// No registry to pull the Ryuk reaper from: every container here is removed by this file (afterAll,
// and on exit). testcontainers reads this when the first container starts.
process.env['TESTCONTAINERS_RYUK_DISABLED'] ??= 'true';

/**
 * One fault's figures: recoveredMs (every stream registered and sending again), moved (streams
 * whose ingest changed), joins/leaves so far, decoded (video frames per packager), and its own.
 */
type Figures = { fault: string } & Record<string, unknown>;

function dockerReady(): void {
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'pipe', timeout: 20_000 });
  } catch (err) {
    throw new Error(`No Docker engine: this test needs one (CI installs and starts it: .ci/run). docker info: ${(err as Error).message}`, { cause: err });
  }
}

describe('the image', () => {
  beforeAll(() => {
    dockerReady();
    // Cached: seconds when nothing changed; a fresh machine makes the base first (minutes).
    execFileSync(path.join(ROOT, 'deploy/ci/build-image.sh'), { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, JT1078_IMAGE: IMAGE }, timeout: 20 * 60_000 });
  }, 20 * 60_000);

  it('runs the compiled CLI as UID 10001 on a read-only root, with production dependencies only', async () => {
    const out = await docker('run', '--rm', '--read-only', '--user', '10001', IMAGE, 'inspect', 'testdata/media/h264-g711u.bin');
    expect(out).toContain('JT/T 1078-2016, 156 packets, 150 frames');
    expect(out).toContain('video h264 320x240: 50 frames');
    expect(await docker('image', 'inspect', '-f', '{{.Config.User}}', IMAGE)).toBe('10001:10001');
    const listing = await docker('run', '--rm', '--entrypoint', 'sh', IMAGE, '-c',
      'find libs services -name "*.ts" | head -3; for p in typescript tsx vitest eslint esbuild testcontainers; do [ -e node_modules/$p ] && echo "dev:$p"; done; true');
    expect(listing, 'TypeScript sources or devDependencies in the runtime image').toBe('');
  }, 120_000);
});

describe('the container cluster, as the kustomize base deploys it, under faults', () => {
  const run = `jt1078ct-${randomBytes(3).toString('hex')}`;
  const labels = { 'jt1078.test.run': run };
  const configDir = mkdtempSync(path.join(tmpdir(), 'container-cluster-'));
  const pods = new Map<string, StartedPod>();
  const pod = (name: string) => pods.get(name)!;
  const byDeployment = (d: string) => [...pods.values()].filter((p) => p.name.startsWith(`${d}-`));
  let network: StartedNetwork;
  let nats: StartedTestContainer;
  let redis: StartedTestContainer;
  let bus: NatsMediaBus | undefined;
  let registry: RedisStreamRegistry | undefined;
  let proxy: TcpRoundRobin | undefined;
  const receiver = new CallbackReceiver();
  let prefix = '';
  const devices: SimulatedDevice[] = [];
  const sims = deviceSims('013900000300', DEVICES);
  const lastFrameAt = new Map<string, number>();
  const figures: Figures[] = [];
  /** What did not come back after a fault; the run goes on, and fails at the end listing them. */
  const problems: string[] = [];
  const startToReady: Record<string, number> = {};

  process.once('exit', () => {
    try {
      const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=jt1078.test.run=${run}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
      if (ids.length) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
      if (network) execFileSync('docker', ['network', 'rm', network.getName()], { stdio: 'ignore' });
    } catch {
      // Docker gone: nothing of ours can be left running.
    }
  });

  beforeAll(async () => {
    dockerReady();
    const base = renderKustomizeBase();
    network = await new Network().start();
    const [natsPort, redisPort, receiverPort] = [await freePort(), await freePort(), await freePort()];
    [nats, redis] = await Promise.all([
      new GenericContainer('jt1078-ci/nats:local').withName(`${run}-nats`).withLabels(labels).withNetwork(network).withNetworkAliases('nats')
        .withExposedPorts({ container: 4222, host: natsPort }).withWaitStrategy(Wait.forLogMessage(/Server is ready/)).start(),
      new GenericContainer('jt1078-ci/redis:local').withName(`${run}-redis`).withLabels(labels).withNetwork(network).withNetworkAliases('redis')
        .withExposedPorts({ container: 6379, host: redisPort }).withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/)).start(),
    ]);

    // The callback receiver on this host: the webhook pod reaches it as host.docker.internal.
    await receiver.listen(receiverPort);

    // The ConfigMap's file as rendered, plus where this test receives callbacks.
    const config = parseDocument(base.config);
    config.setIn(['jt1078', 'realtime', 'on_join_url'], `http://host.docker.internal:${receiverPort}/join`);
    config.setIn(['jt1078', 'realtime', 'on_leave_url'], `http://host.docker.internal:${receiverPort}/leave`);
    prefix = String(config.getIn(['jt1078', 'realtime', 'prefix']));
    watched = streamName(sims[0]!);
    const root = String(config.getIn(['cluster', 'nats', 'subject_root']) ?? 'jt1078');
    chmodSync(configDir, 0o755);
    writeFileSync(path.join(configDir, 'config.yaml'), config.toString(), { mode: 0o644 });

    const ingestPorts: Array<{ host: string; port: number }> = [];
    const starts: Array<Promise<StartedPod>> = [];
    for (const [deployment, replicas] of Object.entries(REPLICAS)) {
      const template = base.pods.get(deployment);
      if (!template) throw new Error(`the base renders no Deployment ${deployment}`);
      for (let i = 0; i < replicas; i++) {
        const publish = new Map([[8080, await freePort()]]);
        if (deployment === 'jt1078-ingest') {
          const rt = template.ports.find((p) => p.name === 'rt-tcp')!.containerPort;
          publish.set(rt, await freePort());
          ingestPorts.push({ host: '127.0.0.1', port: publish.get(rt)! });
        }
        starts.push(startPod({ template, name: `${deployment}-${i}`, image: IMAGE, network, configDir, publish, labels }));
      }
    }
    for (const p of await Promise.all(starts)) {
      pods.set(p.name, p);
      startToReady[p.name] = p.readyMs;
    }
    console.log(`container cluster: start to ready (ms) ${JSON.stringify(startToReady)}`);

    bus = await NatsMediaBus.connect({ url: `nats://127.0.0.1:${natsPort}`, root });
    registry = new RedisStreamRegistry(`redis://127.0.0.1:${redisPort}`, root);
    await bus.subscribeFrames({ streamKind: 'live' }, (f: FrameEnvelope) => lastFrameAt.set(f.sim, Date.now()));

    proxy = new TcpRoundRobin(ingestPorts);
    const proxyPort = await proxy.listen();
    const capture = loadCapturePackets(readCapture(CAPTURE));
    for (const sim of sims) {
      const d = new SimulatedDevice({ host: '127.0.0.1', port: proxyPort, replay: new CaptureReplay(capture, { sim, loop: true }) });
      devices.push(d);
      void d.start();
    }
  }, 300_000);

  afterAll(async () => {
    for (const d of devices) d.stop();
    proxy?.close();
    receiver.close();
    await bus?.close().catch(() => undefined);
    await registry?.close().catch(() => undefined);
    const containers = [...[...pods.values()].map((p) => p.container), nats, redis].filter(Boolean);
    // Every container's log, for the figures' why (CI keeps test-artifacts/).
    mkdirSync(ARTIFACTS, { recursive: true });
    await Promise.all(containers.map(async (c) => {
      const { stdout, stderr } = await runFile('docker', ['logs', c.getId()], { maxBuffer: 64 * 1024 * 1024 }).catch(() => ({ stdout: '', stderr: '' }));
      writeFileSync(path.join(ARTIFACTS, `${c.getName().replace(/^\/?[^-]+-[^-]+-/, '')}.log`), stdout + stderr);
    }));
    // A paused container cannot be stopped; the test unpauses, but a failure may leave one paused.
    await Promise.all(containers.map((c) => docker('unpause', c.getId()).catch(() => undefined)));
    await Promise.all(containers.map((c) => c.stop({ remove: true, timeout: 1 }).catch(() => docker('rm', '-f', c.getId()).catch(() => undefined))));
    await network?.stop().catch(() => undefined);
    rmSync(configDir, { recursive: true, force: true });
    if (figures.length || problems.length) console.log(`container cluster figures:\n${figures.map((f) => JSON.stringify(f)).join('\n')}\nproblems:\n${problems.join('\n') || 'none'}`);
  }, 120_000);

  const get = (p: StartedPod, route: string) => fetch(`${p.url}${route}`, { signal: AbortSignal.timeout(10_000) });
  const streamName = (sim: string) => `${prefix}-${sim}-1`;
  /** The stream both packagers are watched on: the first device's (named once the config is read). */
  let watched = '';

  async function podsOf(): Promise<Map<string, string>> {
    return new Map((await registry!.list()).map((e) => [e.sim, e.pod]));
  }

  /** The newest complete segment of `streamPath` (the watched stream) on `p` that has media (not an EXT-X-GAP: numbers lost in an outage are listed as gaps, which 404), or undefined. */
  async function newestSegment(p: StartedPod, streamPath = watched): Promise<HLS.types.Segment | undefined> {
    const res = await get(p, `/hls/${streamPath}/index.m3u8`).catch(() => undefined);
    if (res?.status !== 200) return undefined;
    return (HLS.parse(await res.text()) as HLS.types.MediaPlaylist).segments.filter((s) => s.uri && !s.gap).at(-1);
  }

  /** ffprobe's count of decoded video frames in init + segment, fetched through `p`. */
  async function decode(p: StartedPod, streamPath: string, seg: HLS.types.Segment, label: string): Promise<number> {
    const init = await get(p, `/hls/${streamPath}/${seg.map!.uri}`);
    const media = await get(p, `/hls/${streamPath}/${seg.uri}`);
    expect([init.status, media.status], `${p.name} ${seg.map!.uri} ${seg.uri}`).toEqual([200, 200]);
    const file = path.join(configDir, `${p.name}-${label.replace(/\W+/g, '_')}-${seg.mediaSequenceNumber}.mp4`);
    writeFileSync(file, Buffer.concat([Buffer.from(await init.arrayBuffer()), Buffer.from(await media.arrayBuffer())]));
    const out = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0',
      '-show_entries', 'stream=codec_name,width,nb_read_frames', '-of', 'json', file], { encoding: 'utf8' })) as { streams: Array<{ codec_name: string; width: number; nb_read_frames: string }> };
    const v = out.streams[0];
    expect(v, `${p.name} ${label}: a video stream in the segment`).toMatchObject({ codec_name: 'h264', width: 320 });
    return Number(v!.nb_read_frames);
  }

  /** Waits for `cond`; a timeout is recorded as a problem of `label` (the run goes on to the next fault). */
  async function check(label: string, what: string, cond: () => Promise<boolean>, timeoutMs = RECOVERY_TIMEOUT_MS): Promise<boolean> {
    try {
      await until(cond, timeoutMs, what);
      return true;
    } catch (err) {
      problems.push(`${label}: ${(err as Error).message}`);
      return false;
    }
  }

  /**
   * After a fault: every stream registered and sending frames after `since`, under its own name,
   * listed by both packagers, and each packager serving a segment of the watched stream newer
   * than `before` that decodes. Returns the figures; what does not come back is a problem.
   */
  async function liveAgain(label: string, since: number, before: Map<string, string | undefined>, podsBefore: Map<string, string>): Promise<Figures> {
    const recovered = await check(label, 'every stream registered and sending frames again', async () => {
      const now = await podsOf();
      return sims.every((s) => now.has(s)) && sims.every((s) => (lastFrameAt.get(s) ?? 0) > since);
    });
    const recoveredMs = recovered ? Date.now() - since : undefined;
    const unrenamed = await check(label, 'every stream registered under its own name (no suffixed duplicate)', async () => {
      const names = (await registry!.list()).map((e) => e.name).sort();
      return JSON.stringify(names) === JSON.stringify(sims.map(streamName).sort());
    }, NAME_TIMEOUT_MS);
    const registered = (await registry!.list()).map((e) => e.name);
    for (const p of byDeployment('jt1078-packager')) {
      await check(label, `${p.name} lists every stream`, async () => {
        const res = await get(p, '/api/v1/streams').catch(() => undefined);
        const listed = res?.status === 200 ? ((await res.json()) as Array<{ sim: string }>).map((s) => s.sim) : [];
        return sims.every((s) => listed.includes(s));
      });
    }
    // The watched device's stream as it is registered now: a rename is reported above, and
    // playback is still checked on what a viewer would find.
    const streamPath = unrenamed ? watched : ((await registry!.list()).find((e) => e.sim === sims[0]) ?? { name: watched }).name;
    const decoded: string[] = [];
    for (const p of byDeployment('jt1078-packager')) {
      let seg: HLS.types.Segment | undefined;
      const served = await check(label, `${p.name} serves a new segment of ${streamPath}`, async () => {
        seg = await newestSegment(p, streamPath);
        return seg !== undefined && `${seg.mediaSequenceNumber} ${seg.uri}` !== before.get(p.name);
      });
      if (!served) continue;
      const frames = await decode(p, streamPath, seg!, label);
      if (!(frames > 0)) problems.push(`${label}: ${p.name} segment ${seg!.uri} decodes to ${frames} video frames`);
      decoded.push(`${p.name}:${frames}`);
    }
    const now = await podsOf();
    return {
      fault: label,
      ...(recoveredMs === undefined ? {} : { recoveredMs }),
      moved: sims.filter((s) => podsBefore.get(s) !== now.get(s)).length,
      joins: receiver.count('/join'),
      leaves: receiver.count('/leave'),
      decoded: decoded.join(' '),
      ...(unrenamed ? {} : { registered: registered.filter((n) => !sims.map(streamName).includes(n)) }),
    };
  }

  /** Runs `fault`, then the checks; records the figures the fault adds. */
  async function breakAndCheck(label: string, fault: () => Promise<Record<string, unknown>>): Promise<void> {
    const before = new Map<string, string | undefined>();
    for (const p of byDeployment('jt1078-packager')) {
      const s = await newestSegment(p);
      before.set(p.name, s && `${s.mediaSequenceNumber} ${s.uri}`);
    }
    const podsBefore = await podsOf();
    const startedAt = Date.now();
    const extra = await fault();
    const f = { ...(await liveAgain(label, Date.now(), before, podsBefore)), faultMs: Date.now() - startedAt, ...extra };
    figures.push(f);
    console.log(`container cluster fault: ${JSON.stringify(f)}`);
  }

  /** `docker start` of a stopped pod; resolves when /readyz answers 200 again. */
  async function startAgain(p: StartedPod): Promise<number> {
    const t = Date.now();
    await docker('start', p.id);
    await check(`docker start ${p.name}`, `${p.name} ready again`, async () => (await get(p, '/readyz').catch(() => undefined))?.status === 200);
    return Date.now() - t;
  }

  it('keeps every stream, every event and HLS playback through kills, stops, pauses, partitions and NATS/Redis restarts', async () => {
    // Ready, named (POD_NAME) in the registry and metrics, devices spread over both ingests.
    for (const p of pods.values()) expect((await get(p, '/readyz')).status, `${p.name} /readyz`).toBe(200);
    await until(async () => (await podsOf()).size === DEVICES, 60_000, 'every device live');
    expect(new Set((await podsOf()).values())).toEqual(new Set(['jt1078-ingest-0', 'jt1078-ingest-1']));
    for (const p of pods.values()) expect(await (await get(p, '/metrics')).text(), `${p.name} /metrics`).toContain(`pod="${p.name}"`);
    await check('start', 'both packagers serve the watched stream', async () => (await Promise.all(byDeployment('jt1078-packager').map((p) => newestSegment(p)))).every(Boolean));
    await breakAndCheck('start', async () => ({ startToReadyMs: startToReady }));

    await breakAndCheck('docker kill jt1078-ingest-0 (SIGKILL)', async () => {
      const held = [...(await podsOf()).values()].filter((p) => p === 'jt1078-ingest-0').length;
      await docker('kill', pod('jt1078-ingest-0').id);
      return { held };
    });
    const restartKilledMs = await startAgain(pod('jt1078-ingest-0'));

    await breakAndCheck('docker stop jt1078-ingest-1 (SIGTERM, drain)', async () => {
      const p = pod('jt1078-ingest-1');
      const template = renderKustomizeBase().pods.get('jt1078-ingest')!;
      const held = [...(await podsOf()).values()].filter((x) => x === p.name).length;
      // The kubelet's order: the preStop hook, then SIGTERM, then SIGKILL after the grace period.
      const t = Date.now();
      if (template.preStop) await docker('exec', p.id, ...template.preStop);
      const t2 = Date.now();
      await docker('stop', '-t', String(template.gracePeriodSeconds), p.id);
      const stopMs = Date.now() - t2;
      const exitCode = Number(await docker('inspect', '-f', '{{.State.ExitCode}}', p.id));
      if (exitCode !== 0) problems.push(`docker stop ${p.name}: exit code ${exitCode}, not 0 after draining`);
      if (stopMs >= template.gracePeriodSeconds * 1000) problems.push(`docker stop ${p.name}: ${stopMs} ms, beyond the ${template.gracePeriodSeconds} s grace period`);
      return { held, preStopMs: t2 - t, stopMs, exitCode, restartKilledIngestMs: restartKilledMs };
    });
    const restartStoppedMs = await startAgain(pod('jt1078-ingest-1'));

    await breakAndCheck('docker pause jt1078-packager-0 10 s', async () => {
      const p = pod('jt1078-packager-0');
      await docker('pause', p.id);
      await new Promise((r) => setTimeout(r, FAULT_MS));
      await docker('unpause', p.id);
      return { pausedMs: FAULT_MS, restartStoppedIngestMs: restartStoppedMs };
    });

    await breakAndCheck('docker network disconnect jt1078-ingest-0 10 s', async () => {
      const p = pod('jt1078-ingest-0');
      const held = [...(await podsOf()).values()].filter((x) => x === p.name).length;
      await docker('network', 'disconnect', network.getName(), p.id);
      await new Promise((r) => setTimeout(r, FAULT_MS));
      await docker('network', 'connect', '--alias', p.name, network.getName(), p.id);
      await check('network reconnect', `${p.name} ready after the reconnect`, async () => (await get(p, '/readyz').catch(() => undefined))?.status === 200);
      return { held, disconnectedMs: FAULT_MS };
    });

    for (const [name, server] of [['NATS', nats], ['Redis', redis]] as const) {
      await breakAndCheck(`docker kill ${name}, start again`, async () => {
        const t = Date.now();
        await docker('kill', server.getId());
        await new Promise((r) => setTimeout(r, SERVER_DOWN_MS));
        await docker('start', server.getId());
        return { downMs: Date.now() - t };
      });
    }
    for (const p of pods.values()) {
      const status = (await get(p, '/readyz').catch(() => undefined))?.status;
      if (status !== 200) problems.push(`end: ${p.name} /readyz ${status ?? 'no answer'}`);
    }

    // Devices stop: every connection leaves. No event lost: each join has exactly one leave, after it.
    for (const d of devices) d.stop();
    await check('end', 'a leave for every join', async () => receiver.settled());
    const { problems: events, ...counts } = receiver.audit(sims);
    problems.push(...events.map((e) => `end: ${e}`));
    figures.push({ fault: 'end', ...counts });
    expect(problems, 'what did not come back after the faults (figures printed above)').toEqual([]);
  }, 900_000);
});
