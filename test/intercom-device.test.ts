/**
 * The intercom's device side. `jt1078 intercom` as a child process on real NATS and Redis: a
 * lease through the API (bearer token, 0x9101 body, 0x9101 sent to a go-jt808 stand-in), a TCP
 * "device" on the leased port, browser audio published on talk.down (50 packets/s of 160 bytes
 * for 2 s) reaching it as JT1078 packets, its uplink reaching media.talk, the audio join/leave
 * callbacks through the webhook relay (leave on overtime and on DELETE), an unleased port
 * closed and counted, no free port → 409. Then the same composition in one process on the
 * in-process bus and lease store (embedded `jt1078 start`), and a taken port named at start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryMediaBus, NatsMediaBus, type EventEnvelope, type FrameEnvelope, type MediaBus } from '@jt1078/bus';
import {
  AvControlCommand, AvDataType, DataType, Subpackage, avTransmissionControlJson, decodeAvTransmissionControl, decodeRealtimeAvRequest, realtimeAvRequestJson,
} from '@jt1078/jt1078';
import { parseConfig } from '@jt1078/runtime/config';
import { HttpRouter, serveRouter } from '@jt1078/runtime/http';
import { silentLogger } from '@jt1078/runtime/logger';
import { createMetricsRegistry } from '@jt1078/runtime/metrics';
import { MemoryPortLeaseStore, RedisPortLeaseStore } from '@jt1078/store';
import { SimulatedTalkDevice } from '@jt1078/bench/talk-device';
import { AudioPortInUse, startIntercom, type RunningIntercom } from '@jt1078/svc-intercom';
import { startWebhookRelay } from '@jt1078/svc-webhook';
import { freePort, natsUrl, redisUrl, uniquePrefix, until } from './support/services.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;
const SIM = '013800138000';
const TOKEN = 'intercom-test-token';

interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function api(base: string, method: string, route: string, body?: unknown, token: string | null = TOKEN): Promise<Reply> {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Publishes `count` pieces of G.711A on talk.down, 50 a second, as a WebRTC session would. */
async function talk(bus: MediaBus, count: number, channel = 1): Promise<Uint8Array[]> {
  const sent: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const data = new Uint8Array(160).map((_, j) => (i * 7 + j) & 0xff);
    sent.push(data);
    bus.publishTalk({ sim: SIM, channel, codec: 'g711a', timestamp: i * 20, sequence: i, sessionId: 'test-session', data });
    await new Promise((r) => setTimeout(r, 20));
  }
  return sent;
}

function metricValue(text: string, name: string, label: string): number {
  const m = new RegExp(`^${name}\\{[^}]*${label}[^}]*\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** What a device must receive for the talk audio `sent`: audio packets of the lease, in order. */
function expectTalkPackets(device: SimulatedTalkDevice, sent: readonly Uint8Array[], channel = 1): void {
  const packets = device.received;
  expect(packets).toHaveLength(sent.length);
  packets.forEach((p, i) => {
    expect(p.payloadType).toBe(6);
    expect(p.sim).toBe(SIM);
    expect(p.channel).toBe(channel);
    expect(p.dataType).toBe(DataType.audio);
    expect(p.subpackage).toBe(Subpackage.atomic);
    expect(p.body).toEqual(sent[i]);
    if (i > 0) {
      expect(p.sequence).toBe((packets[i - 1]!.sequence + 1) & 0xffff);
      expect(p.timestamp!).toBeGreaterThan(packets[i - 1]!.timestamp!);
    }
  });
}

describe('jt1078 intercom (child process) on NATS and Redis', () => {
  const root = uniquePrefix('icdev');
  let port = 0;
  let base = '';
  let child: ChildProcess;
  let logs = '';
  let bus: NatsMediaBus;
  let leases: RedisPortLeaseStore;
  let receiver: Server;
  let relay: Awaited<ReturnType<typeof startWebhookRelay>>;
  const callbacks: Array<{ path: string; body: Record<string, unknown> }> = [];
  const jt808: Array<{ path: string; body: Record<string, unknown> }> = [];
  const uplink: FrameEnvelope[] = [];

  beforeAll(async () => {
    // One server stands in for the callback receiver and for go-jt808's HTTP API.
    receiver = createHttpServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c));
      req.on('end', () => {
        const entry = { path: req.url ?? '', body: JSON.parse(raw) as Record<string, unknown> };
        (entry.path.startsWith('/api/v1/jt808/9') ? jt808 : callbacks).push(entry);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"code":200,"msg":"success","data":{}}');
      });
    });
    const rxPort = await freePort();
    await new Promise<void>((r) => receiver.listen(rxPort, '127.0.0.1', r));
    const rx = `http://127.0.0.1:${rxPort}`;

    port = await freePort();
    const http = await freePort();
    base = `http://127.0.0.1:${http}`;
    const config = path.join(mkdtempSync(path.join(tmpdir(), 'icdev-')), 'config.yaml');
    writeFileSync(config, [
      'jt1078:',
      '  intercom:',
      `    audio_ports: [${port}, ${port}]`,
      '    overtime_second: 2',
      `    token: ${TOKEN}`,
      `    jt808_url: ${rx}`,
      '    jt1078webrtc: { ip: 127.0.0.1 }',
      'cluster:',
      `  http: { addr: '127.0.0.1:${http}' }`,
      `  nats: { subject_root: ${root} }`,
      '  pod: { name: intercom-a }',
      '  intercom: { lease_ttl_second: 3, drain_grace_second: 0 }',
    ].join('\n'));
    child = spawn(process.execPath, [path.join(ROOT, 'services/all-in-one/bin/jt1078.js'), 'intercom', '--config', config], {
      env: { ...process.env, NATS_URL: await natsUrl(), REDIS_URL: await redisUrl() },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.on('data', (d: Buffer) => (logs += d));
    bus = await NatsMediaBus.connect({ url: await natsUrl(), root });
    leases = new RedisPortLeaseStore(await redisUrl(), root);
    // The callbacks go the way they go in a cluster: JetStream → the webhook relay → HTTP.
    const relayConfig = parseConfig(`jt1078:\n  intercom:\n    on_join_url: ${rx}/api/v1/jt808/event/join-audio\n    on_leave_url: ${rx}/api/v1/jt808/event/leave-audio\n`, 'test').config;
    relay = await startWebhookRelay({ config: relayConfig, bus, log: silentLogger(), metricsRegistry: createMetricsRegistry({ defaultMetrics: false }) });
    await bus.subscribeFrames({ streamKind: 'talk', sim: SIM, channel: 1 }, (f) => uplink.push(f));
    await until(() => logs.includes('intercom ready') || child.exitCode !== null, 20_000, () => `intercom ready; log:\n${logs}`);
    expect(child.exitCode, logs).toBeNull();
  });

  afterAll(async () => {
    child?.kill('SIGKILL');
    relay?.stop();
    await bus?.deleteStreams();
    await bus?.close();
    await leases?.clear();
    await leases?.close();
    await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
  });

  const joins = () => callbacks.filter((c) => c.path.endsWith('/join-audio'));
  const leaves = () => callbacks.filter((c) => c.path.endsWith('/leave-audio'));

  it('needs the bearer token on every lease API', async () => {
    for (const [method, route, body] of [['POST', '/api/v1/intercom/leases', { sim: SIM, channel: 1 }], ['GET', '/api/v1/intercom/leases', undefined], ['DELETE', `/api/v1/intercom/leases/${port}`, undefined]] as const) {
      const none = await api(base, method, route, body, null);
      expect(none.status, `${method} ${route}`).toBe(401);
      expect(String(none.body['error'])).toMatch(/Bearer/);
      expect((await api(base, method, route, body, 'wrong')).status).toBe(401);
    }
    expect((await api(base, 'GET', '/api/v1/intercom/leases')).body).toEqual({ ports: [port, port], leases: [] });
  });

  it('refuses a bad body naming the field', async () => {
    expect(await api(base, 'POST', '/api/v1/intercom/leases', { channel: 1 })).toMatchObject({ status: 400, body: { field: 'sim' } });
    expect(await api(base, 'POST', '/api/v1/intercom/leases', { sim: 13800138000, channel: 1 })).toMatchObject({ status: 400, body: { field: 'sim' } });
    expect(await api(base, 'POST', '/api/v1/intercom/leases', { sim: SIM, channel: 300 })).toMatchObject({ status: 400, body: { field: 'channel' } });
    expect((await api(base, 'POST', '/api/v1/intercom/leases', '{not json')).status).toBe(400);
  });

  it('closes and counts a connection on an unleased port', async () => {
    const device = await SimulatedTalkDevice.connect({ port, sim: SIM, channel: 1 });
    await device.closed;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metricValue(metrics, 'jt1078_intercom_device_connections_total', 'result="no-lease"')).toBeGreaterThanOrEqual(1);
    expect(joins()).toHaveLength(0);
  });

  it('leases a port, bridges talk audio both ways, and closes on overtime with a leave', async () => {
    const lease = await api(base, 'POST', '/api/v1/intercom/leases', { sim: SIM, channel: 1 });
    expect(lease.status, JSON.stringify(lease.body)).toBe(201);
    expect(lease.body).toMatchObject({ port, sim: SIM, channel: 1, address: `127.0.0.1:${port}`, holder: 'intercom-a', token: expect.any(Number), expiresAt: expect.any(String) });
    const av = { serverIPAddr: '127.0.0.1', tcpPort: port, udpPort: 0, channelNo: 1, dataType: AvDataType.intercom, streamType: 0 };
    const command = lease.body['command9101'] as { binary: string; json: unknown };
    expect(command.json).toEqual(realtimeAvRequestJson(SIM, av));
    expect(decodeRealtimeAvRequest(Buffer.from(command.binary, 'hex'))).toEqual(av);
    // The service told the JT808 platform itself, in go-jt808's form.
    expect(jt808).toEqual([{ path: '/api/v1/jt808/9101', body: realtimeAvRequestJson(SIM, av) }]);
    expect(lease.body['jt808']).toMatchObject({ ok: true, code: 200 });
    expect(await leases.get(port)).toMatchObject({ sim: SIM, channel: 1, token: lease.body['token'] });

    const device = await SimulatedTalkDevice.connect({ port, sim: SIM, channel: 1 });
    await until(() => joins().length === 1, 10_000, 'the join callback');
    expect(joins()[0]!.body).toEqual({ port, address: device.localAddress, startTime: expect.stringMatching(TIME) });

    // Both ways at once, as a talk goes: the device talks back (G.711A frames, some with the
    // HiSilicon header, reach media.talk) while the platform's audio is still going down. Sent
    // after the downlink had ended, a loaded machine once let overtime_second close the device
    // before its frames were read.
    const talking = talk(bus, 100);
    const up = Array.from({ length: 20 }, (_, i) => new Uint8Array(160).fill(i + 1));
    up.forEach((data, i) => device.sendAudio(data, 1000 + i * 20));
    const sent = await talking;
    await until(() => device.received.length >= sent.length, 10_000, () => `${sent.length} packets at the device (got ${device.received.length}); intercom log:\n${logs}`);
    expectTalkPackets(device, sent);
    await until(() => uplink.length >= up.length, 10_000, () => `${up.length} uplink frames (got ${uplink.length}); intercom log:\n${logs}`);
    expect(uplink.map((f) => new Uint8Array(f.data))).toEqual(up);
    uplink.forEach((f, i) => {
      expect(f).toMatchObject({ streamKind: 'talk', sim: SIM, channel: 1, codec: 'g711a', mediaKind: 'audio', sequence: i, streamPath: `talk/${SIM}-1` });
      if (i > 0) expect(f.timestamp).toBeGreaterThan(uplink[i - 1]!.timestamp);
    });

    // Nothing more is written to the device: overtime_second (2) closes it, as m7s-jt1078 words it.
    await device.closed;
    await until(() => leaves().length === 1, 10_000, 'the leave callback');
    expect(leaves()[0]!.body).toEqual({ port, address: device.localAddress, startTime: joins()[0]!.body['startTime'], endTime: expect.stringMatching(TIME), err: expect.stringMatching(/^over time \d+(\.\d+)?s$/) });
    expect(await leases.get(port)).toBeUndefined();
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metricValue(metrics, 'jt1078_intercom_overtime_closes_total', '')).toBe(1);
    expect(metricValue(metrics, 'jt1078_intercom_packets_total', 'direction="down"')).toBe(sent.length);
    expect(metricValue(metrics, 'jt1078_intercom_uplink_frames_total', '')).toBe(up.length);
  });

  it('answers 409 naming the range when every port is leased', async () => {
    const first = await api(base, 'POST', '/api/v1/intercom/leases', { sim: SIM, channel: 1 });
    expect(first.status).toBe(201);
    const second = await api(base, 'POST', '/api/v1/intercom/leases', { sim: '013800138001', channel: 1 });
    expect(second.status).toBe(409);
    expect(second.body).toEqual({ error: `no free port in ${port}-${port} for SIM 013800138001 channel 1`, reason: 'no-free-port', ports: [port, port] });
    expect((await api(base, 'GET', '/api/v1/intercom/leases')).body['leases']).toEqual([expect.objectContaining({ port, sim: SIM })]);
    expect((await api(base, 'DELETE', `/api/v1/intercom/leases/${port}`)).status).toBe(200);
    expect(await api(base, 'DELETE', `/api/v1/intercom/leases/${port}`)).toMatchObject({ status: 404, body: { reason: 'not-leased' } });
  });

  it('ends the talk on DELETE: the device is closed, the 0x9102 body returned and sent, a leave with the reason', async () => {
    jt808.length = 0;
    const lease = await api(base, 'POST', '/api/v1/intercom/leases', { sim: SIM, channel: 1 });
    expect(lease.status).toBe(201);
    const device = await SimulatedTalkDevice.connect({ port, sim: SIM, channel: 1 });
    await until(() => joins().length === 2, 10_000, 'the second join callback');
    const wrong = await api(base, 'DELETE', `/api/v1/intercom/leases/${port}?token=${Number(lease.body['token']) + 1000}`);
    expect(wrong).toMatchObject({ status: 409, body: { reason: 'token-mismatch' } });
    const del = await api(base, 'DELETE', `/api/v1/intercom/leases/${port}?token=${lease.body['token']}&reason=operator%20hung%20up`);
    expect(del.status).toBe(200);
    const ctl = { channelNo: 1, controlCmd: AvControlCommand.closeIntercom, closeAudioVideoData: 0, streamType: 0 };
    const command = del.body['command9102'] as { binary: string; json: unknown };
    expect(command.json).toEqual(avTransmissionControlJson(SIM, ctl));
    expect(decodeAvTransmissionControl(Buffer.from(command.binary, 'hex'))).toEqual(ctl);
    expect(jt808.map((j) => j.path)).toEqual(['/api/v1/jt808/9101', '/api/v1/jt808/9102']);
    expect(jt808[1]!.body).toEqual(avTransmissionControlJson(SIM, ctl));
    await device.closed;
    await until(() => leaves().length === 2, 10_000, 'the second leave callback');
    expect(leaves()[1]!.body).toMatchObject({ port, address: device.localAddress, err: `ended by DELETE /api/v1/intercom/leases/${port}: operator hung up` });
    expect(await leases.get(port)).toBeUndefined();
  });
});

describe('startIntercom in one process (in-process bus and lease store, as `jt1078 start`)', () => {
  let intercom: RunningIntercom | undefined;
  let http: Server | undefined;
  afterAll(async () => {
    await intercom?.stop();
    await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
  });

  it('leases, bridges both ways and ends on DELETE with a leave', async () => {
    const port = await freePort();
    const config = parseConfig(`jt1078:\n  intercom:\n    audio_ports: [${port}, ${port}]\n    overtime_second: 60\n`, 'test').config;
    const bus = new MemoryMediaBus();
    const events: EventEnvelope[] = [];
    await bus.consumeEvents('test', (p) => {
      events.push(p.event);
      void p.ack().catch(() => undefined); // a test's teardown can delete the stream under an ack in flight
    });
    const uplink: FrameEnvelope[] = [];
    await bus.subscribeFrames({ streamKind: 'talk' }, (f) => uplink.push(f));
    const router = new HttpRouter();
    intercom = await startIntercom({ config, bus, leases: new MemoryPortLeaseStore(), log: silentLogger(), metricsRegistry: createMetricsRegistry({ defaultMetrics: false }), router, pod: 'embedded', publicAddress: async () => '10.1.2.3', host: '127.0.0.1' });
    expect(intercom.ports()).toEqual([port]);
    http = await serveRouter(router, '127.0.0.1:0');
    const base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;

    const lease = await api(base, 'POST', '/api/v1/intercom/leases', { sim: SIM, channel: 2 }, null);
    expect(lease).toMatchObject({ status: 201, body: { port, address: `10.1.2.3:${port}`, holder: 'embedded' } });
    expect(lease.body['jt808']).toBeUndefined();
    const device = await SimulatedTalkDevice.connect({ port, sim: SIM, channel: 2, hisilicon: true });
    await until(() => events.some((e) => e.action === 'join'), 5000, 'the join event');
    const sent = await talk(bus, 10, 2);
    await until(() => device.received.length >= sent.length, 5000, 'packets at the device');
    expectTalkPackets(device, sent, 2);
    device.sendAudio(new Uint8Array(160).fill(9), 0);
    device.sendAudio(new Uint8Array(160).fill(10), 20);
    await until(() => uplink.length === 2, 5000, 'uplink frames');
    expect(uplink.map((f) => new Uint8Array(f.data))).toEqual([new Uint8Array(160).fill(9), new Uint8Array(160).fill(10)]); // HiSilicon header removed

    expect((await api(base, 'DELETE', `/api/v1/intercom/leases/${port}`, undefined, null)).status).toBe(200);
    await device.closed;
    await until(() => events.some((e) => e.action === 'leave'), 5000, 'the leave event');
    const [join, leave] = events;
    expect(join).toMatchObject({ type: 'audio', action: 'join', streamKey: String(port), body: { port, address: device.localAddress, startTime: expect.stringMatching(TIME) } });
    expect(leave).toMatchObject({ type: 'audio', action: 'leave', streamKey: String(port), body: { ...join!.body, endTime: expect.stringMatching(TIME), err: `ended by DELETE /api/v1/intercom/leases/${port}` } });
    expect(new Set(events.map((e) => e.id)).size).toBe(2);
  });

  it('names the audio port that is already in use', async () => {
    const taken = createTcpServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    const config = parseConfig(`jt1078:\n  intercom:\n    audio_ports: [${port}, ${port}]\n`, 'test').config;
    const started = startIntercom({ config, bus: new MemoryMediaBus(), leases: new MemoryPortLeaseStore(), log: silentLogger(), metricsRegistry: createMetricsRegistry({ defaultMetrics: false }), router: new HttpRouter(), pod: 'p', host: '127.0.0.1' });
    await expect(started).rejects.toBeInstanceOf(AudioPortInUse);
    await expect(started).rejects.toThrow(new RegExp(`audio port ${port} \\(127\\.0\\.0\\.1:${port}\\) is already in use`));
    await new Promise<void>((r) => taken.close(() => r()));
  });
});
