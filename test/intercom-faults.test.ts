/**
 * Two `jt1078 intercom` pods on a private Redis (stopped and started by the test) and the shared
 * NATS. Pod A is killed with SIGKILL while it holds two talks: pod B's reaper sends one audio
 * leave for each, saying the pod was lost, within the lease TTL + 5 s. Then Redis stops: the
 * lease API answers 503 with Retry-After naming Redis (never an empty list), and a talk whose
 * lease did not survive the outage ends saying so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsMediaBus, type EventEnvelope } from '@jt1078/bus';
import { SimulatedTalkDevice } from '@jt1078/bench/talk-device';
import { Jt1078Pod } from './support/jt1078-pod.js';
import { freePort, freePortRange, natsUrl, startRedisServer, uniquePrefix, until, type LocalServer } from './support/services.js';

const LEASE_TTL_SECOND = 3;

describe('intercom pods and Redis failing', () => {
  const root = uniquePrefix('icfaults');
  let redis: LocalServer;
  let bus: NatsMediaBus;
  let leased = 0;
  let podA: Jt1078Pod;
  let podB: Jt1078Pod;
  const events: EventEnvelope[] = [];

  async function pod(name: string, listen?: number): Promise<Jt1078Pod> {
    const httpPort = await freePort();
    const p = new Jt1078Pod({
      service: 'intercom', name, httpPort, natsUrl: await natsUrl(), redisUrl: redis.url,
      config: [
        'jt1078:',
        '  intercom:',
        `    audio_ports: [${leased}, ${leased + 2}]`,
        '    jt1078webrtc: { ip: 127.0.0.1 }',
        'cluster:',
        `  http: { addr: '127.0.0.1:${httpPort}' }`,
        `  nats: { subject_root: ${root} }`,
        `  pod: { name: ${name} }`,
        `  intercom: { ${listen ? `listen_ports: [${listen}, ${listen + 2}], ` : ''}lease_ttl_second: ${LEASE_TTL_SECOND}, drain_grace_second: 0 }`,
      ].join('\n'),
    });
    await p.start();
    return p;
  }

  async function api(p: Jt1078Pod, method: string, route: string, body?: unknown) {
    const res = await fetch(`${p.url}${route}`, { method, signal: AbortSignal.timeout(20_000), ...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }) });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> };
  }

  beforeAll(async () => {
    redis = await startRedisServer();
    leased = await freePortRange(3);
    const listenB = await freePortRange(3);
    bus = await NatsMediaBus.connect({ url: await natsUrl(), root });
    await bus.consumeEvents(uniquePrefix('events'), (p) => {
      events.push(p.event);
      void p.ack().catch(() => undefined); // a test's teardown can delete the stream under an ack in flight
    });
    [podA, podB] = await Promise.all([pod('intercom-a'), pod('intercom-b', listenB)]);
  }, 90_000);

  afterAll(async () => {
    await podA?.kill();
    await podB?.kill();
    await bus?.deleteStreams();
    await bus?.close();
    await redis?.stop();
  });

  it('sends one audio leave for each talk of a killed pod, saying the pod was lost', async () => {
    const devices = [];
    for (const [i, sim] of ['013900000101', '013900000102'].entries()) {
      const lease = await api(podA, 'POST', '/api/v1/intercom/leases', { sim, channel: 1 });
      expect(lease).toMatchObject({ status: 201, body: { port: leased + i } });
      devices.push(await SimulatedTalkDevice.connect({ port: leased + i, sim, channel: 1 }));
    }
    await until(() => events.filter((e) => e.action === 'join').length === 2, 15_000, 'two audio joins');
    await podA.kill();
    const killedAt = Date.now();
    await until(() => events.filter((e) => e.action === 'leave').length >= 2, (LEASE_TTL_SECOND + 5) * 1000 + 10_000, 'two audio leaves');
    const tookMs = Date.now() - killedAt;
    // Exactly one each: nothing more arrives.
    await new Promise((r) => setTimeout(r, 3000));
    const leaves = events.filter((e) => e.action === 'leave');
    expect(leaves.map((e) => e.streamKey).sort()).toEqual([String(leased), String(leased + 1)]);
    for (const leave of leaves) {
      const join = events.find((e) => e.action === 'join' && e.streamKey === leave.streamKey)!;
      expect(leave.body).toMatchObject({ ...join.body, endTime: expect.any(String), err: expect.stringMatching(/^intercom pod intercom-a lost/) });
    }
    console.log(`audio leaves of the killed pod's talks ${tookMs} ms after SIGKILL (lease TTL ${LEASE_TTL_SECOND} s)`);
    // The contract (README, Dead pods): a lost pod's talks end within the lease TTL + 5 s.
    expect(tookMs).toBeLessThanOrEqual((LEASE_TTL_SECOND + 5) * 1000);
    for (const d of devices) d.close();
  }, 60_000);

  it('answers 503 with Retry-After naming Redis while Redis is down, and a talk ended by the outage says so', async () => {
    const lease = await api(podB, 'POST', '/api/v1/intercom/leases', { sim: '013900000103', channel: 1 });
    expect(lease.status).toBe(201);
    const port = lease.body['port'] as number;
    const listen = Number(podB.opts.config.match(/listen_ports: \[(\d+)/)![1]) + (port - leased);
    const device = await SimulatedTalkDevice.connect({ port: listen, sim: '013900000103', channel: 1 });
    const joined = events.length;
    await until(() => events.slice(joined).some((e) => e.action === 'join'), 15_000, 'the join');
    const leaveId = events.slice(joined).find((e) => e.action === 'join')!.id.replace(/join$/, 'leave');

    await redis.stop();
    for (const [method, route, body] of [['GET', '/api/v1/intercom/leases'], ['GET', `/api/v1/intercom/leases/${port}`], ['POST', '/api/v1/intercom/leases', { sim: '013900000104', channel: 1 }], ['DELETE', `/api/v1/intercom/leases/${port}`]] as const) {
      const res = await api(podB, method, route, body);
      expect(res.status, `${method} ${route}`).toBe(503);
      expect(Number(res.retryAfter)).toBeGreaterThan(0);
      expect(res.body['error']).toMatch(/^Redis unavailable/);
    }
    // Renews fail for a while; the Redis that comes back has lost every lease (no persistence).
    await new Promise((r) => setTimeout(r, 2000));
    await redis.start();
    await device.closed;
    await until(() => events.some((e) => e.id === leaveId), 15_000, 'the leave');
    const leave = events.find((e) => e.id === leaveId)!;
    expect(leave.body['err']).toMatch(/Redis outage/);
    expect((await api(podB, 'GET', '/api/v1/intercom/leases')).status).toBe(200);
  }, 90_000);
});
