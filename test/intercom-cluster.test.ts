/**
 * Two `jt1078 intercom` processes on one NATS and Redis, as two pods behind a load balancer: a
 * lease made through pod A, the device connecting to pod B, talk.down audio reaching it there,
 * its uplink reaching media.talk, and a DELETE served by pod A closing it on pod B (within the
 * holder's one-second lease check) with a leave event.
 *
 * One machine cannot have both processes listen on the same audio port, so pod B listens on
 * another port for the same leased port (`cluster.intercom.listen_ports`), as a pod behind a
 * load balancer that maps the public port to another container port would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsMediaBus, type EventEnvelope, type FrameEnvelope } from '@jt1078/bus';
import { DataType } from '@jt1078/jt1078';
import { RedisPortLeaseStore } from '@jt1078/store';
import { SimulatedTalkDevice } from '@jt1078/bench/talk-device';
import { freePort, natsUrl, redisUrl, uniquePrefix, until } from './support/services.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const SIM = '013900000007';
const CHANNEL = 3;

describe('intercom across two pods', () => {
  const root = uniquePrefix('iccluster');
  const children: ChildProcess[] = [];
  const http = new Map<string, string>();
  let leased = 0;
  let listenB = 0;
  let bus: NatsMediaBus;
  let leases: RedisPortLeaseStore;
  const events: EventEnvelope[] = [];
  const uplink: FrameEnvelope[] = [];

  async function startPod(pod: string, listen: number): Promise<void> {
    const httpPort = await freePort();
    http.set(pod, `http://127.0.0.1:${httpPort}`);
    const config = path.join(mkdtempSync(path.join(tmpdir(), `${pod}-`)), 'config.yaml');
    writeFileSync(config, [
      'jt1078:',
      '  intercom:',
      `    audio_ports: [${leased}, ${leased}]`,
      '    jt1078webrtc: { ip: 127.0.0.1 }',
      'cluster:',
      `  http: { addr: '127.0.0.1:${httpPort}' }`,
      `  nats: { subject_root: ${root} }`,
      `  pod: { name: ${pod} }`,
      `  intercom: { listen_ports: [${listen}, ${listen}], lease_ttl_second: 3, drain_grace_second: 0 }`,
    ].join('\n'));
    const child = spawn(process.execPath, [path.join(ROOT, 'services/all-in-one/bin/jt1078.js'), 'intercom', '--config', config], {
      env: { ...process.env, NATS_URL: await natsUrl(), REDIS_URL: await redisUrl() },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr!.on('data', (d: Buffer) => (log += d));
    children.push(child);
    await until(() => log.includes('intercom ready') || child.exitCode !== null, 20_000, () => `${pod} ready; log:\n${log}`);
    expect(child.exitCode, log).toBeNull();
  }

  async function api(pod: string, method: string, route: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${http.get(pod)}${route}`, { method, ...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  beforeAll(async () => {
    leased = await freePort();
    listenB = await freePort();
    bus = await NatsMediaBus.connect({ url: await natsUrl(), root });
    leases = new RedisPortLeaseStore(await redisUrl(), root);
    // Pod A listens on the leased port itself, pod B on another port serving it.
    await startPod('intercom-a', leased);
    await startPod('intercom-b', listenB);
    await bus.consumeEvents(uniquePrefix('events'), (p) => {
      events.push(p.event);
      void p.ack().catch(() => undefined); // a test's teardown can delete the stream under an ack in flight
    });
    await bus.subscribeFrames({ streamKind: 'talk', sim: SIM, channel: CHANNEL }, (f) => uplink.push(f));
  });

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await bus?.deleteStreams();
    await bus?.close();
    await leases?.clear();
    await leases?.close();
  });

  it('leases on pod A, talks to the device on pod B, and a DELETE on pod A closes it on pod B with a leave', async () => {
    const lease = await api('intercom-a', 'POST', '/api/v1/intercom/leases', { sim: SIM, channel: CHANNEL });
    expect(lease).toMatchObject({ status: 201, body: { port: leased, address: `127.0.0.1:${leased}`, holder: 'intercom-a' } });
    // Any pod serves any lease: B lists what A granted.
    expect((await api('intercom-b', 'GET', '/api/v1/intercom/leases')).body['leases']).toEqual([expect.objectContaining({ port: leased, sim: SIM, channel: CHANNEL, holder: 'intercom-a' })]);

    const device = await SimulatedTalkDevice.connect({ port: listenB, sim: SIM, channel: CHANNEL });
    await until(() => events.some((e) => e.action === 'join'), 10_000, 'the join event');
    const join = events.find((e) => e.action === 'join')!;
    expect(join).toMatchObject({ type: 'audio', streamKey: String(leased), body: { port: leased, address: device.localAddress } });

    // Browser audio published anywhere reaches the pod holding the device.
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 50; i++) {
      const data = new Uint8Array(160).fill(i);
      sent.push(data);
      bus.publishTalk({ sim: SIM, channel: CHANNEL, codec: 'g711u', timestamp: i * 20, sequence: i, sessionId: 'browser-on-a', data });
      await new Promise((r) => setTimeout(r, 20));
    }
    await until(() => device.received.length >= sent.length, 10_000, `${sent.length} packets at the device on pod B (got ${device.received.length})`);
    expect(device.received.map((p) => [p.payloadType, p.sim, p.channel, p.dataType])).toEqual(sent.map(() => [7, SIM, CHANNEL, DataType.audio]));
    expect(device.received.map((p) => p.body)).toEqual(sent);
    device.received.forEach((p, i) => i > 0 && expect(p.sequence).toBe(device.received[i - 1]!.sequence + 1));

    for (let i = 0; i < 5; i++) device.sendAudio(new Uint8Array(160).fill(100 + i), i * 20, 'g711u');
    await until(() => uplink.length >= 5, 10_000, 'uplink frames from pod B');
    expect(uplink.map((f) => [f.codec, f.data[0], f.sequence])).toEqual([0, 1, 2, 3, 4].map((i) => ['g711u', 100 + i, i]));

    const del = await api('intercom-a', 'DELETE', `/api/v1/intercom/leases/${leased}`);
    expect(del).toMatchObject({ status: 200, body: { port: leased, released: true } });
    // Pod B notices at its next lease check (every second) and closes the device.
    await device.closed;
    await until(() => events.some((e) => e.action === 'leave'), 10_000, 'the leave event');
    const leave = events.find((e) => e.action === 'leave')!;
    expect(leave).toMatchObject({ type: 'audio', streamKey: String(leased), body: { ...join.body, endTime: expect.any(String), err: expect.stringMatching(/^lease released \(DELETE \/api\/v1\/intercom\/leases\/\d+/) } });
    expect(await leases.get(leased)).toBeUndefined();
    const metricsB = await (await fetch(`${http.get('intercom-b')}/metrics`)).text();
    expect(metricsB).toMatch(/^jt1078_intercom_device_closed_total\{[^}]*reason="released"[^}]*\} 1$/m);
    expect(metricsB).toMatch(/^jt1078_intercom_lease_outcomes_total\{[^}]*outcome="stale"[^}]*\} 1$/m);
  });
});
