/** The console's event stream over real sockets: replay, live events, heartbeats, a slow client dropped and counted, a bound on clients. */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryMediaBus, type EventEnvelope } from '@jt1078/bus';
import { HttpRouter } from '@jt1078/runtime/http';
import { silentLogger } from '@jt1078/runtime/logger';
import { createMetricsRegistry, type Registry } from '@jt1078/runtime/metrics';
import { until } from '../../../../test/support/services.js';
import { addConsoleRoutes } from './console-routes.js';
import { EventStream } from './event-stream.js';

const MAX_BUFFERED = 64 * 1024;

let n = 0;
function event(over: Partial<EventEnvelope> = {}): EventEnvelope {
  const i = n++;
  return {
    id: `ev-${i}`, type: 'realtime', action: i % 2 ? 'leave' : 'join', streamKey: `live/jt1078-013900000003-${i}`, occurredAt: 1_752_404_295_000 + i,
    body: { streamPath: `live/jt1078-013900000003-${i}`, sim: '013900000003', channel: i, startTime: '2025-07-13 18:58:15' }, ...over,
  };
}

/** Reads an SSE response as a browser would, keeping every message and comment. */
class SseReader {
  readonly messages: Array<{ id?: string; data?: string; comment?: string; retry?: string }> = [];
  status = 0;
  contentType = '';
  readonly #abort = new AbortController();

  async open(url: string, headers: Record<string, string> = {}): Promise<this> {
    const res = await fetch(url, { headers, signal: this.#abort.signal });
    this.status = res.status;
    this.contentType = res.headers.get('content-type') ?? '';
    if (!res.body) return this;
    void (async () => {
      let text = '';
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body!) {
          text += decoder.decode(chunk as Uint8Array, { stream: true });
          let end;
          while ((end = text.indexOf('\n\n')) >= 0) {
            const block = text.slice(0, end);
            text = text.slice(end + 2);
            const m: Record<string, string> = {};
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) m['comment'] = line.slice(1).trim();
              else {
                const i = line.indexOf(':');
                m[line.slice(0, i)] = line.slice(i + 1).trimStart();
              }
            }
            this.messages.push(m);
          }
        }
      } catch {
        // aborted
      }
    })();
    return this;
  }

  get events(): EventEnvelope[] {
    return this.messages.filter((m) => m.data !== undefined).map((m) => JSON.parse(m.data!) as EventEnvelope);
  }

  close(): void {
    this.#abort.abort();
  }
}

const metricValue = async (registry: Registry, name: string, labels: Record<string, string> = {}) =>
  (await registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;

describe('EventStream over HTTP', () => {
  let server: Server;
  let base = '';
  let registry: Registry;
  let stream: EventStream;
  let bus: MemoryMediaBus;
  const readers: SseReader[] = [];
  const sockets: Socket[] = [];
  const reader = async (headers: Record<string, string> = {}) => {
    const r = await new SseReader().open(`${base}/api/v1/events`, headers);
    readers.push(r);
    return r;
  };

  beforeAll(async () => {
    registry = createMetricsRegistry({ defaultMetrics: false });
    stream = new EventStream({ log: silentLogger(), metricsRegistry: registry, maxBufferedBytes: MAX_BUFFERED, maxClients: 3, heartbeatMs: 100 });
    bus = new MemoryMediaBus();
    await bus.watchEvents((e) => stream.push(e));
    const router = addConsoleRoutes(new HttpRouter(), stream);
    server = createServer((req, res) => void router.handle(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const r of readers) r.close();
    for (const s of sockets) s.destroy();
    stream.close();
    await bus.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('replays recent events oldest first, then pushes each published event once, with heartbeats', async () => {
    const before = [event(), event(), event()];
    for (const e of before) await bus.publishEvent(e);
    const r = await reader();
    expect(r.status).toBe(200);
    expect(r.contentType).toBe('text/event-stream; charset=utf-8');
    await until(() => r.events.length === 3, 5000, 'the replay');
    expect(r.messages[0]).toEqual({ retry: '3000' });
    expect(r.events).toEqual(before);
    expect(r.messages.filter((m) => m.data).map((m) => m.id)).toEqual(before.map((e) => e.id));
    const later = [event(), event({ type: 'audio', streamKey: '12022', body: { port: 12022, address: '10.0.0.7:45852', startTime: '2025-05-30 14:09:08' } })];
    for (const e of later) await bus.publishEvent(e);
    stream.push(later[0]!); // the tap is at least once: a re-sent id is not shown twice
    await until(() => r.events.length === 5, 5000, 'live events');
    await until(() => r.messages.some((m) => m.comment === 'heartbeat'), 5000, 'a heartbeat');
    expect(r.events).toEqual([...before, ...later]);
    expect(await metricValue(registry, 'jt1078_console_events_total')).toBe(5);
    r.close();
    await until(() => stream.clients === 0, 5000, 'the client to be forgotten');
  });

  it('sends a reconnecting client only what came after its Last-Event-ID', async () => {
    const all = stream.recent.after();
    const r = await reader({ 'Last-Event-ID': all.at(-2)!.id });
    await until(() => r.messages.length >= 2, 5000, 'the replay');
    expect(r.events).toEqual([all.at(-1)]);
    r.close();
    await until(() => stream.clients === 0, 5000, 'the client to be forgotten');
  });

  it('drops a client that stops reading, counts it, and keeps serving the others', async () => {
    const good = await reader();
    await until(() => good.messages.length > 0, 5000, 'the good client');
    // A client that sends its request and never reads what comes back.
    const slow = connect(Number(new URL(base).port), '127.0.0.1');
    sockets.push(slow);
    slow.pause();
    slow.write('GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n');
    await until(() => stream.clients === 2, 5000, 'the slow client connected');
    const start = good.events.length;
    let pushed = 0;
    // 50 KB batches, each read by the good client before the next: only the slow one falls behind.
    while ((await metricValue(registry, 'jt1078_console_event_clients_dropped_total', { cause: 'slow' })) === 0) {
      if (pushed > 20_000) throw new Error('the slow client was never dropped');
      for (let i = 0; i < 50; i++, pushed++) stream.push(event({ body: { pad: 'x'.repeat(1000) } }));
      await until(() => good.events.length === start + pushed, 5000, 'the good client to keep up');
    }
    expect(stream.clients).toBe(1);
    expect(good.events.length).toBe(start + pushed);
    expect(await metricValue(registry, 'jt1078_console_event_clients_dropped_total', { cause: 'slow' })).toBe(1);
    expect(await metricValue(registry, 'jt1078_console_event_clients')).toBe(1);
    good.close();
    await until(() => stream.clients === 0, 5000, 'the good client to be forgotten');
  });

  it('answers 503 beyond the client bound, counted', async () => {
    const three = [await reader(), await reader(), await reader()];
    await until(() => stream.clients === 3, 5000, 'three clients');
    const res = await fetch(`${base}/api/v1/events`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('10');
    expect(await res.text()).toMatch(/3 event-stream clients are connected already/);
    expect(await metricValue(registry, 'jt1078_console_event_clients_dropped_total', { cause: 'too-many' })).toBe(1);
    for (const r of three) r.close();
  });

  it('serves the console page, its script and its player from the project', async () => {
    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('console.js');
    // The page's script is what follows the event stream.
    const script = await fetch(`${base}/console.js`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await script.text()).toContain('/api/v1/events');
    const hls = await fetch(`${base}/vendor/hls.min.js`);
    expect(hls.status).toBe(200);
    expect((await hls.text()).length).toBeGreaterThan(100_000);
  });
});
