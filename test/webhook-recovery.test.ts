/**
 * A receiver that is down for 60 s (nothing listening) while joins and leaves keep coming, with
 * the default Svix-like schedule (0, 5 s, 5 min …): once it is back, every held event reaches it
 * within 10 s, join before leave per stream, instead of at the 5-minute retry. The relay backs
 * off per URL and a probe finds the receiver again.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsMediaBus, type EventEnvelope } from '@jt1078/bus';
import { launchPod, type Jt1078Pod } from './support/jt1078-pod.js';
import { freePort, natsUrl, uniquePrefix, until } from './support/services.js';

const OUTAGE_MS = 60_000;

describe('a callback receiver that comes back', () => {
  const root = uniquePrefix('whrecover');
  let bus: NatsMediaBus;
  let relay: Jt1078Pod;
  let port: number;
  let receiver: Server | undefined;
  const received: Array<{ id: string; at: number }> = [];

  function listen(): Promise<void> {
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push({ id: String(req.headers['webhook-id']), at: Date.now() });
        res.writeHead(200).end();
      });
    });
    return new Promise((r) => receiver!.listen(port, '127.0.0.1', () => r()));
  }

  beforeAll(async () => {
    port = await freePort();
    bus = await NatsMediaBus.connect({ url: await natsUrl(), root });
    relay = await launchPod({
      service: 'webhook', name: `${root}-relay`, root,
      jt1078: ['  realtime:', `    on_join_url: "http://127.0.0.1:${port}/join"`, `    on_leave_url: "http://127.0.0.1:${port}/leave"`],
      cluster: ['  webhook: { timeout_second: 2 }'],
    });
  }, 60_000);

  afterAll(async () => {
    await relay?.terminate();
    receiver?.closeAllConnections();
    receiver?.close();
    await bus?.deleteStreams();
    await bus?.close();
  });

  it(`delivers every event held through a ${OUTAGE_MS / 1000} s outage within 10 s of the receiver's return, in order`, async () => {
    const sent: EventEnvelope[] = [];
    const started = Date.now();
    // Events keep coming during the outage: a join and a leave for a stream every 5 s.
    for (let i = 0; Date.now() - started < OUTAGE_MS - 5000; i++) {
      const streamPath = `live/jt1078-0139000${String(i).padStart(5, '0')}-1`;
      for (const action of ['join', 'leave'] as const) {
        const e: EventEnvelope = { id: `${root}-${i}-${action}`, type: 'realtime', action, streamKey: streamPath, body: { streamPath, action }, occurredAt: Date.now() };
        await bus.publishEvent(e);
        sent.push(e);
      }
      await new Promise((r) => setTimeout(r, 5000));
    }
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - started))));
    expect(received).toHaveLength(0);
    await listen();
    const back = Date.now();
    await until(() => sent.every((e) => received.some((r) => r.id === e.id)), 30_000, 'every held event delivered');
    const last = Math.max(...sent.map((e) => received.find((r) => r.id === e.id)!.at));
    console.log(`${sent.length} held events delivered ${last - back} ms after the receiver came back`);
    expect(last - back).toBeLessThanOrEqual(10_000);
    const firstAt = (id: string) => received.findIndex((r) => r.id === id);
    for (let i = 0; i < sent.length / 2; i++) expect(firstAt(`${root}-${i}-join`)).toBeLessThan(firstAt(`${root}-${i}-leave`));
  }, OUTAGE_MS + 60_000);
});
