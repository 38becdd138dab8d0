import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@jt1078/runtime/logger';
import { CallbackPoster } from './callback-poster.js';
import { RetrySchedule } from './retry-schedule.js';
import { WebhookDispatcher, type DeadLetter, type DispatchOutcome, type PendingEvent, type WebhookEvent } from './webhook-dispatcher.js';
import { WebhookSigner } from './webhook-signer.js';

interface Received {
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly headers: IncomingMessage['headers'];
  readonly raw: string;
}

async function receiver(respond: (r: Received, res: ServerResponse) => void) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const r = { path: req.url ?? '', body: JSON.parse(raw) as Record<string, unknown>, headers: req.headers, raw };
      received.push(r);
      respond(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { received, base, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

function pending(event: WebhookEvent, order: number, acked: string[], deliveryCount = 1): PendingEvent {
  return { event, order, deliveryCount, ack: () => void acked.push(event.id), keepAlive: () => {} };
}

const join = (n: number): WebhookEvent => ({
  id: `join-${n}`, type: 'realtime', action: 'join', streamKey: `live/jt1078-29569665961${n}-1`,
  body: { streamPath: `live/jt1078-29569665961${n}-1`, sim: `29569665961${n}`, channel: 1, startTime: '2025-07-13 18:58:15' },
});
const leave = (n: number): WebhookEvent => ({
  ...join(n), id: `leave-${n}`, action: 'leave', body: { ...join(n).body, endTime: '2025-07-13 18:59:15' },
});

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function dispatcher(base: string, extra: { schedule?: number[]; timeoutMs?: number; secret?: string } = {}) {
  const dead: DeadLetter[] = [];
  const outcomes: DispatchOutcome[] = [];
  const poster = new CallbackPoster({ timeoutMs: extra.timeoutMs ?? 1000, insecureSkipVerify: false });
  const d = new WebhookDispatcher({
    urls: {
      realtime: { join: `${base}/join`, leave: `${base}/leave` },
      playback: { join: '', leave: '' },
      audio: { join: `${base}/audio-join`, leave: `${base}/audio-leave` },
    },
    poster,
    schedule: new RetrySchedule(extra.schedule ?? [0, 50, 100]),
    signer: extra.secret ? new WebhookSigner(extra.secret) : undefined,
    deadLetter: async (l) => void dead.push(l),
    log: silentLogger(),
    onOutcome: (o) => void outcomes.push(o),
  });
  cleanups.push(() => { d.close(); poster.close(); });
  return { d, dead, outcomes };
}

async function until(cond: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('WebhookDispatcher against a real receiver', () => {
  it('posts the exact body with a valid Standard Webhooks signature', async () => {
    const rx = await receiver((_r, res) => res.writeHead(204).end());
    cleanups.push(rx.close);
    const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
    const { d } = dispatcher(rx.base, { secret });
    const acked: string[] = [];
    d.push(pending(join(1), 1, acked));
    await until(() => acked.length === 1);
    const [r] = rx.received;
    expect(r!.path).toBe('/join');
    expect(r!.raw).toBe(JSON.stringify(join(1).body));
    expect(r!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r!.headers['webhook-id']).toBe('join-1');
    expect(new Webhook(secret).verify(r!.raw, r!.headers as Record<string, string>)).toEqual(join(1).body);
  });

  it('an ack the source cannot take (JetStream gone) leaves the event to be handed out again: counted, no rejection escapes, the stream goes on', async () => {
    const rx = await receiver((_r, res) => res.writeHead(204).end());
    cleanups.push(rx.close);
    const { d, outcomes } = dispatcher(rx.base);
    const escaped: unknown[] = [];
    const onRejection = (err: unknown) => void escaped.push(err);
    process.on('unhandledRejection', onRejection);
    cleanups.push(() => void process.off('unhandledRejection', onRejection));
    const acked: string[] = [];
    const failingAck: PendingEvent = { ...pending(join(1), 1, acked), ack: () => Promise.reject(new Error("no responders: '$JS.ACK.…'")) };
    d.push(failingAck);
    d.push(pending(leave(1), 2, acked));
    await until(() => acked.includes('leave-1'));
    // A turn for any rejection to surface as unhandled.
    await new Promise((r) => setTimeout(r, 50));
    expect(escaped).toEqual([]);
    expect(rx.received.map((r) => r.path)).toEqual(['/join', '/leave']);
    expect(outcomes.filter((o) => o.kind === 'unsettled').map((o) => o.event.id)).toEqual(['join-1']);
    expect(d.pending).toBe(0);
  });

  it('keeps join before leave per stream through failures, and keeps webhook-id across retries', async () => {
    let failuresLeft = 4;
    const rx = await receiver((_r, res) => {
      if (failuresLeft-- > 0) res.writeHead(500).end();
      else res.writeHead(200).end();
    });
    cleanups.push(rx.close);
    const { d, outcomes } = dispatcher(rx.base, { schedule: [0, 20, 20, 20, 20, 20, 20] });
    const acked: string[] = [];
    // The leave of stream 1 arrives before its join (a redelivery): order still holds.
    d.push(pending(leave(1), 2, acked));
    d.push(pending(join(1), 1, acked));
    d.push(pending(join(2), 3, acked));
    d.push(pending(leave(2), 4, acked));
    await until(() => acked.length === 4);
    const delivered = outcomes.filter((o) => o.kind === 'delivered').map((o) => o.event.id);
    expect(delivered.indexOf('join-1')).toBeLessThan(delivered.indexOf('leave-1'));
    expect(delivered.indexOf('join-2')).toBeLessThan(delivered.indexOf('leave-2'));
    expect(outcomes.filter((o) => o.kind === 'retried')).toHaveLength(4);
    const idsPerBody = new Map<string, Set<string>>();
    for (const r of rx.received) {
      const key = JSON.stringify(r.body);
      idsPerBody.set(key, (idsPerBody.get(key) ?? new Set()).add(String(r.headers['webhook-id'])));
    }
    for (const ids of idsPerBody.values()) expect(ids.size).toBe(1);
  });

  it('times out a hanging receiver and retries, then dead-letters after the last attempt', async () => {
    const rx = await receiver(() => { /* never answers */ });
    cleanups.push(rx.close);
    const { d, dead } = dispatcher(rx.base, { schedule: [0, 10], timeoutMs: 150 });
    const acked: string[] = [];
    d.push(pending(join(3), 1, acked));
    await until(() => dead.length === 1);
    expect(rx.received).toHaveLength(2);
    expect(dead[0]!.attempts).toBe(2);
    expect(dead[0]!.reason).toMatch(/timed out/);
    expect(acked).toEqual(['join-3']);
  });

  it('stops delivery to a URL that answers 410', async () => {
    const rx = await receiver((r, res) => res.writeHead(r.path === '/join' ? 410 : 200).end());
    cleanups.push(rx.close);
    const { d, dead, outcomes } = dispatcher(rx.base);
    const acked: string[] = [];
    d.push(pending(join(4), 1, acked));
    await until(() => acked.length === 1);
    d.push(pending(join(5), 2, acked));
    d.push(pending(leave(5), 3, acked));
    await until(() => acked.length === 3);
    expect(rx.received.filter((r) => r.path === '/join')).toHaveLength(1);
    expect(rx.received.filter((r) => r.path === '/leave')).toHaveLength(1);
    expect(d.disabledUrls).toEqual([`${rx.base}/join`]);
    expect(dead.map((l) => l.event.id)).toEqual(['join-4', 'join-5']);
    expect(outcomes.find((o) => o.event.id === 'join-5')?.kind).toBe('skipped');
  });

  it('acknowledges events whose URL is not configured without posting', async () => {
    const rx = await receiver((_r, res) => res.writeHead(200).end());
    cleanups.push(rx.close);
    const { d } = dispatcher(rx.base);
    const acked: string[] = [];
    d.push(pending({ ...join(6), type: 'playback' }, 1, acked));
    await until(() => acked.length === 1);
    expect(rx.received).toHaveLength(0);
  });
});

describe('per-URL backoff', () => {
  it('keeps the per-event schedule for an event that fails alone, while the others are delivered', async () => {
    // join-1 is refused on its own merits (500); the receiver takes everything else.
    const r = await receiver((got, res) => res.writeHead(got.body['sim'] === '295696659611' && got.path === '/join' ? 500 : 200).end());
    cleanups.push(r.close);
    const { d } = dispatcher(r.base, { schedule: [0, 3000, 60_000] });
    const acked: string[] = [];
    d.push(pending(join(1), 1, acked));
    for (let n = 2; n <= 6; n++) d.push(pending(join(n), n, acked));
    await new Promise((res) => setTimeout(res, 1500));
    // Five deliveries went through meanwhile; join-1 was tried once and waits for its 3 s retry, not released by them.
    expect(acked.sort()).toEqual(['join-2', 'join-3', 'join-4', 'join-5', 'join-6']);
    expect(r.received.filter((x) => x.body['sim'] === '295696659611')).toHaveLength(1);
  });

  it('releases every held event at the first success once an unreachable receiver is back', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const p = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    // Nothing listens yet: every first attempt is refused, then held for the 60 s step.
    const { d } = dispatcher(`http://127.0.0.1:${port}`, { schedule: [0, 60_000, 60_000] });
    const acked: string[] = [];
    for (let n = 1; n <= 4; n++) {
      d.push(pending(join(n), 2 * n, acked));
      d.push(pending(leave(n), 2 * n + 1, acked));
    }
    await new Promise((res) => setTimeout(res, 1000));
    expect(acked).toEqual([]);
    const order: string[] = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        order.push(String(req.headers['webhook-id']));
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
    const back = Date.now();
    while (acked.length < 8 && Date.now() - back < 15_000) await new Promise((res) => setTimeout(res, 50));
    expect(acked).toHaveLength(8);
    // Probes come at most 5 s apart: far sooner than the 60 s schedule.
    expect(Date.now() - back).toBeLessThan(15_000);
    for (let n = 1; n <= 4; n++) expect(order.indexOf(`join-${n}`)).toBeLessThan(order.indexOf(`leave-${n}`));
  }, 30_000);
});
