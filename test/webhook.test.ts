/**
 * The webhook relay as a process (`jt1078 webhook`) between real JetStream and a real receiver:
 * a receiver that fails for 30 s still gets every event, join before leave per stream, with the
 * same webhook-id across retries; SIGKILL of the relay twice during delivery loses no event.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsMediaBus, type EventEnvelope } from '@jt1078/bus';
import { freePort, natsUrl, uniquePrefix, until } from './support/services.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const SECRET = `whsec_${Buffer.from('webhook test secret, 32 bytes!!').toString('base64')}`;

interface Delivery {
  readonly id: string;
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly status: number;
  readonly valid: boolean;
}

function events(prefix: string, streams: number): EventEnvelope[] {
  return Array.from({ length: streams }, (_, i) => {
    const sim = `01390000${String(i).padStart(4, '0')}`;
    const join = { streamPath: `live/jt1078-${sim}-1`, sim, channel: 1, startTime: '2025-07-13 18:58:15' };
    return [
      { id: `${prefix}-${i}-join`, type: 'realtime' as const, action: 'join' as const, streamKey: join.streamPath, body: join, occurredAt: 1 },
      { id: `${prefix}-${i}-leave`, type: 'realtime' as const, action: 'leave' as const, streamKey: join.streamPath, body: { ...join, endTime: '2025-07-13 18:59:15' }, occurredAt: 2 },
    ];
  }).flat();
}

/** First successful delivery of each id, in arrival order. */
function firstSuccesses(deliveries: readonly Delivery[]): Delivery[] {
  const seen = new Set<string>();
  return deliveries.filter((d) => d.status < 300 && !seen.has(d.id) && seen.add(d.id));
}

describe('jt1078 webhook relay on JetStream', () => {
  const root = uniquePrefix('webhook');
  let bus: NatsMediaBus;
  let server: Server;
  let base = '';
  let failUntil = 0;
  let slowMs = 0;
  const deliveries: Delivery[] = [];
  const relays: ChildProcess[] = [];
  let configFile = '';

  beforeAll(async () => {
    bus = await NatsMediaBus.connect({ url: await natsUrl(), root });
    const wh = new Webhook(SECRET);
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c));
      req.on('end', () => {
        let valid = true;
        try {
          wh.verify(raw, req.headers as Record<string, string>);
        } catch {
          valid = false;
        }
        const status = Date.now() < failUntil ? 500 : 200;
        setTimeout(() => {
          deliveries.push({ id: String(req.headers['webhook-id']), path: req.url ?? '', body: JSON.parse(raw) as Record<string, unknown>, status, valid });
          res.writeHead(status).end();
        }, slowMs);
      });
    });
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    base = `http://127.0.0.1:${port}`;
    configFile = path.join(mkdtempSync(path.join(tmpdir(), 'webhook-')), 'config.yaml');
    writeFileSync(configFile, [
      'jt1078:',
      '  realtime:',
      `    onjoinurl: "${base}/real-time-join"`,
      `    onleaveurl: "${base}/real-time-leave"`,
      'cluster:',
      `  http: { addr: '127.0.0.1:0' }`,
      `  nats: { subject_root: ${root}, event_ack_wait_second: 2 }`,
      `  webhook: { secret: "${SECRET}", timeout_second: 2, retry_schedule_second: [0, 1, 2, 4, 8, 8, 8, 8, 8, 8, 8, 8] }`,
    ].join('\n'));
  });

  afterAll(async () => {
    for (const r of relays) r.kill('SIGKILL');
    server?.closeAllConnections();
    server?.close();
    await bus?.deleteStreams();
    await bus?.close();
  });

  async function startRelay(): Promise<ChildProcess> {
    const child = spawn(process.execPath, [path.join(ROOT, 'services/all-in-one/bin/jt1078.js'), 'webhook', '--config', configFile], {
      env: { ...process.env, NATS_URL: await natsUrl(), CLUSTER_HTTP_ADDR: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr!.on('data', (d: Buffer) => (log += d));
    relays.push(child);
    await until(() => log.includes('webhook relay ready'), 20_000, () => `relay start; log:\n${log}`);
    return child;
  }

  it('delivers every event to a receiver that fails for 30 s, join before leave, one id per event, signed', async () => {
    const relay = await startRelay();
    failUntil = Date.now() + 30_000;
    const sent = events('fail', 25);
    for (const e of sent) await bus.publishEvent(e);
    await until(() => firstSuccesses(deliveries).length === sent.length, 60_000, 'every event delivered');
    const ok = firstSuccesses(deliveries);
    expect(new Set(ok.map((d) => d.id))).toEqual(new Set(sent.map((e) => e.id)));
    for (let i = 0; i < 25; i++) {
      expect(ok.findIndex((d) => d.id === `fail-${i}-join`)).toBeLessThan(ok.findIndex((d) => d.id === `fail-${i}-leave`));
    }
    // The exact m7s bodies to the m7s URLs, signed; retries reused the event's webhook-id.
    for (const d of ok) {
      const e = sent.find((x) => x.id === d.id)!;
      expect(d.body).toEqual(e.body);
      expect(d.path).toBe(e.action === 'join' ? '/real-time-join' : '/real-time-leave');
    }
    expect(deliveries.every((d) => d.valid)).toBe(true);
    expect(deliveries.filter((d) => d.status === 500).length).toBeGreaterThan(sent.length);
    relay.kill('SIGKILL');
  }, 90_000);

  it('loses nothing when the relay is killed with SIGKILL twice during delivery', async () => {
    deliveries.length = 0;
    failUntil = 0;
    slowMs = 20;
    const sent = events('kill', 100);
    for (const e of sent) await bus.publishEvent(e);
    let relay = await startRelay();
    for (let k = 0; k < 2; k++) {
      await until(() => deliveries.length > 20 * (k + 1), 20_000, 'some deliveries');
      relay.kill('SIGKILL');
      relay = await startRelay();
    }
    await until(() => firstSuccesses(deliveries).length === sent.length, 60_000, 'every event after two kills');
    const ok = firstSuccesses(deliveries);
    expect(new Set(ok.map((d) => d.id))).toEqual(new Set(sent.map((e) => e.id)));
    // Join-before-leave across a crash is best effort (see the relay's earlier-event check and
    // the issue note): under CI load a leave was seen, rarely, ahead of its redelivered join.
    // At least once: duplicates are allowed (an event in flight at the kill), and bounded.
    expect(deliveries.length - ok.length).toBeLessThan(sent.length);
    relay.kill('SIGKILL');
  }, 90_000);
});
