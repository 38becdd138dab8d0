/**
 * `GET /api/v1/events`: join/leave events pushed to browsers with server-sent events (WHATWG
 * HTML §9.2). A client first gets the recent events (oldest first, or only those after its
 * Last-Event-ID when it reconnects), then each event as it is published, and a comment line as
 * a heartbeat so proxies keep the response open and the browser notices a dead link.
 *
 * Each client is bounded: an event is written only while what the client has not read yet
 * (the response's buffered bytes) is under `maxBufferedBytes`; a client past that is dropped
 * and counted, and the others never wait for it. EventSource reconnects by itself and gets the
 * recent events again.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventEnvelope } from '@jt1078/bus';
import type { Logger } from '@jt1078/runtime/logger';
import { Counter, Gauge, type Registry } from '@jt1078/runtime/metrics';
import { RecentEvents } from './recent-events.js';

export interface EventStreamOptions {
  readonly log: Logger;
  readonly metricsRegistry: Registry;
  /** Events kept for a (re)connecting client (default: the last 200). */
  readonly recent?: RecentEvents;
  /** Unread bytes a client may have queued before it is dropped (default 256 KiB: ~1,000 events). */
  readonly maxBufferedBytes?: number;
  /** Clients at once; more are answered 503 (default 100: a console is for operators, not the public). */
  readonly maxClients?: number;
  /** Heartbeat comment interval (default 15 s, under common proxy idle timeouts of 30-60 s). */
  readonly heartbeatMs?: number;
}

/** How long a browser waits before reconnecting after the stream ended (the SSE `retry:` field). */
const RECONNECT_MS = 3000;

export const DropCause = {
  /** Its unread events passed `maxBufferedBytes`. */
  slow: 'slow',
  /** Refused: `maxClients` were connected. */
  tooMany: 'too-many',
} as const;
export type DropCause = (typeof DropCause)[keyof typeof DropCause];

/** One event in the SSE wire format: its id (for Last-Event-ID) and the envelope as JSON (no raw line breaks). */
export function sseMessage(event: EventEnvelope): string {
  return `id: ${event.id.replace(/[\r\n]/g, '')}\ndata: ${JSON.stringify(event)}\n\n`;
}

export class EventStream {
  readonly recent: RecentEvents;
  readonly #clients = new Set<ServerResponse>();
  readonly #log: Logger;
  readonly #maxBuffered: number;
  readonly #maxClients: number;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #connected: Gauge;
  readonly #dropped: Counter<'cause'>;
  readonly #events: Counter;

  constructor(opts: EventStreamOptions) {
    this.recent = opts.recent ?? new RecentEvents();
    this.#log = opts.log;
    this.#maxBuffered = opts.maxBufferedBytes ?? 256 * 1024;
    this.#maxClients = opts.maxClients ?? 100;
    const registers = [opts.metricsRegistry];
    this.#connected = new Gauge({ name: 'jt1078_console_event_clients', help: 'Browsers connected to /api/v1/events', registers });
    this.#dropped = new Counter({ name: 'jt1078_console_event_clients_dropped_total', help: 'Event-stream clients dropped (slow: unread events past the bound) or refused (too-many)', labelNames: ['cause'], registers });
    this.#events = new Counter({ name: 'jt1078_console_events_total', help: 'Distinct join/leave events pushed to the console', registers });
    this.#heartbeat = setInterval(() => this.#broadcast(': heartbeat\n\n'), opts.heartbeatMs ?? 15_000).unref();
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** An event from the bus: kept, and written to every client (a duplicate id is ignored). */
  push(event: EventEnvelope): void {
    if (!this.recent.add(event)) return;
    this.#events.inc();
    this.#broadcast(sseMessage(event));
  }

  /** The route handler: holds `res` open as an event stream. */
  attach(req: IncomingMessage, res: ServerResponse): void {
    if (this.#clients.size >= this.#maxClients) {
      this.#dropped.inc({ cause: DropCause.tooMany });
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '10' });
      res.end(`${this.#maxClients} event-stream clients are connected already; try again later\n`);
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // nginx (a common ingress) buffers responses unless told not to.
      'X-Accel-Buffering': 'no',
      'Access-Control-Allow-Origin': '*',
    });
    const lastId = req.headers['last-event-id'];
    const replay = this.recent.after(typeof lastId === 'string' ? lastId : undefined);
    res.write(`retry: ${RECONNECT_MS}\n\n${replay.map(sseMessage).join('')}`);
    this.#clients.add(res);
    this.#connected.set(this.#clients.size);
    res.once('close', () => this.#forget(res));
  }

  #broadcast(chunk: string): void {
    for (const res of this.#clients) {
      if (res.writableLength > this.#maxBuffered) this.#drop(res);
      else res.write(chunk);
    }
  }

  #drop(res: ServerResponse): void {
    this.#dropped.inc({ cause: DropCause.slow });
    this.#log.warn(
      { client: `${res.socket?.remoteAddress}:${res.socket?.remotePort}`, unreadBytes: res.writableLength, limit: this.#maxBuffered },
      'console event-stream client does not read its events: dropped (a browser reconnects and is sent the recent events again)',
    );
    this.#forget(res);
    res.destroy();
  }

  #forget(res: ServerResponse): void {
    if (this.#clients.delete(res)) this.#connected.set(this.#clients.size);
  }

  /** Ends every stream (shutdown): browsers reconnect to whichever server is up. */
  close(): void {
    clearInterval(this.#heartbeat);
    for (const res of this.#clients) res.end();
    this.#clients.clear();
    this.#connected.set(0);
  }
}
