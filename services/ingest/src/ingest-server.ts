/**
 * The ingest's listeners: TCP (and UDP on the same port) for realtime and for playback. Each
 * connection gets an IngestConnection; limits are enforced here (connection count, idle links),
 * and drain() implements SIGTERM: stop accepting, then close every connection after the grace
 * period so devices reconnect to another pod, with leave events sent for each stream.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { parseHostPort, type Config, type StreamEndpointConfig } from '@jt1078/runtime/config';
import { ErrorDigest, type Logger } from '@jt1078/runtime/logger';
import { MemoryRelease } from '@jt1078/runtime/lifecycle';
import { FrameBudget } from '@jt1078/jt1078';
import { IngestConnection } from './ingest-connection.js';
import type { EventPublisher, FramePublisher, IngestFrame, StreamKind, StreamNameClaims } from './ingest-ports.js';
import type { IngestMetrics } from './ingest-metrics.js';

export interface IngestServerDeps {
  readonly config: Config;
  readonly pod: string;
  readonly publisher: FramePublisher;
  readonly events: EventPublisher;
  readonly claims: StreamNameClaims;
  readonly metrics: IngestMetrics;
  readonly log: Logger;
  readonly onFrame?: (frame: IngestFrame) => void;
}

interface Listener {
  readonly kind: StreamKind;
  readonly endpoint: StreamEndpointConfig;
  tcp?: Server;
  udp?: UdpSocket;
}

/** How often idle connections are looked for. */
const IDLE_SWEEP_MS = 1000;

export class IngestServer {
  readonly #connections = new Map<IngestConnection, Listener>();
  readonly #udpPeers = new Map<string, IngestConnection>();
  readonly #listeners: Listener[] = [];
  readonly #digest: ErrorDigest;
  /** Unfinished-frame bytes of every connection together (cluster.ingest.max_unfinished_bytes). */
  readonly podBudget: FrameBudget;
  /** What closed connections held, given back to the OS together (see MemoryRelease). */
  readonly #memory = new MemoryRelease();
  #sweep: NodeJS.Timeout | undefined;
  #accepting = true;

  constructor(private readonly deps: IngestServerDeps) {
    this.#digest = new ErrorDigest(deps.log);
    this.podBudget = new FrameBudget(deps.config.cluster.ingest.max_unfinished_bytes);
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Bound addresses, once listening (port 0 in tests becomes the real port). */
  addresses(): Record<StreamKind, { tcp: number; udp: number }> {
    const out = { live: { tcp: 0, udp: 0 }, playback: { tcp: 0, udp: 0 } };
    for (const l of this.#listeners) {
      const t = l.tcp?.address();
      if (t && typeof t === 'object') out[l.kind].tcp = t.port;
      if (l.udp) out[l.kind].udp = l.udp.address().port;
    }
    return out;
  }

  async listen(): Promise<void> {
    const { realtime, playback } = this.deps.config.jt1078;
    for (const [kind, endpoint] of [['live', realtime], ['playback', playback]] as const) {
      const listener: Listener = { kind, endpoint };
      const { host, port } = parseHostPort(endpoint.addr, '0.0.0.0');
      listener.tcp = createServer({ noDelay: true }, (socket) => this.#accept(listener, socket));
      listener.tcp.on('error', (err) => this.deps.log.error({ err, addr: endpoint.addr }, 'ingest TCP listener error'));
      await new Promise<void>((resolve, reject) => {
        listener.tcp!.once('error', reject);
        listener.tcp!.listen(port, host, () => resolve());
      });
      // UDP on the same port: a device that streams over UDP sends whole packets per datagram.
      const boundPort = (listener.tcp.address() as { port: number }).port;
      listener.udp = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
      listener.udp.on('message', (msg, rinfo) => this.#udpMessage(listener, msg, `${rinfo.address}:${rinfo.port}`));
      listener.udp.on('error', (err) => this.deps.log.error({ err, addr: endpoint.addr }, 'ingest UDP socket error'));
      await new Promise<void>((resolve, reject) => {
        listener.udp!.once('error', reject);
        listener.udp!.bind(boundPort, host, () => resolve());
      });
      this.#listeners.push(listener);
      this.deps.log.info({ kind, addr: `${host}:${boundPort}` }, 'ingest listening (TCP and UDP)');
    }
    this.#sweep = setInterval(() => this.#closeIdle(), IDLE_SWEEP_MS);
    this.#sweep.unref();
  }

  #newConnection(listener: Listener, remote: string, transport: 'tcp' | 'udp', closeTransport: (reason: string) => void): IngestConnection | undefined {
    const d = this.deps;
    if (!this.#accepting) {
      d.metrics.rejected.inc({ kind: listener.kind, reason: 'draining' });
      return undefined;
    }
    if (this.#connections.size >= d.config.cluster.ingest.max_connections) {
      d.metrics.rejected.inc({ kind: listener.kind, reason: 'max-connections' });
      this.#digest.report('max-connections', 'connection refused: max_connections reached', { limit: d.config.cluster.ingest.max_connections, remote });
      return undefined;
    }
    const connection = new IngestConnection({
      kind: listener.kind,
      endpoint: listener.endpoint,
      connectionId: randomUUID(),
      remoteAddress: remote,
      pod: d.pod,
      publisher: d.publisher,
      events: d.events,
      claims: d.claims,
      registryTtlMs: d.config.cluster.ingest.registry_ttl_second * 1000,
      segmentTargetMs: d.config.cluster.hls.segment_ms,
      metrics: d.metrics,
      log: d.log,
      digest: this.#digest,
      closeTransport,
      onNotJt1078: (c) => void this.#finish(listener, c, 'not-jt1078 (no packet in the first 128 KB)'),
      onHandlerError: (c) => void this.#finish(listener, c, 'handler-error'),
      maxUnfinishedBytes: d.config.cluster.ingest.max_unfinished_bytes_per_connection,
      podBudget: this.podBudget,
      maxStreams: d.config.cluster.ingest.max_streams_per_connection,
      ...(d.onFrame ? { onFrame: d.onFrame } : {}),
    });
    this.#connections.set(connection, listener);
    d.metrics.connections.inc({ kind: listener.kind });
    d.metrics.connectionsTotal.inc({ kind: listener.kind, transport });
    return connection;
  }

  #accept(listener: Listener, socket: Socket): void {
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    const connection = this.#newConnection(listener, remote, 'tcp', () => socket.destroy());
    if (!connection) {
      socket.destroy();
      return;
    }
    socket.on('data', (chunk) => connection.push(chunk));
    socket.on('error', (err) => this.#digest.report(`socket:${remote}`, 'device socket error', { remote, err: err.message }));
    socket.on('close', () => void this.#finish(listener, connection, 'device closed the connection'));
  }

  #udpMessage(listener: Listener, msg: Buffer, remote: string): void {
    const key = `${listener.kind}/${remote}`;
    let connection = this.#udpPeers.get(key);
    if (!connection) {
      connection = this.#newConnection(listener, remote, 'udp', () => this.#udpPeers.delete(key));
      if (!connection) return;
      this.#udpPeers.set(key, connection);
    }
    connection.push(msg);
  }

  async #finish(listener: Listener, connection: IngestConnection, reason: string): Promise<void> {
    if (!this.#connections.delete(connection)) return;
    this.deps.metrics.connections.dec({ kind: listener.kind });
    this.deps.metrics.closed.inc({ kind: listener.kind, reason: reason.split(' ')[0] ?? reason });
    this.#memory.released(connection.bufferedBytes);
    await connection.close(reason);
  }

  #closeIdle(): void {
    const limitMs = this.deps.config.cluster.ingest.idle_timeout_second * 1000;
    const now = performance.now();
    for (const [connection, listener] of this.#connections) {
      if (now - connection.lastActivityMs > limitMs) void this.#finish(listener, connection, 'idle timeout');
    }
  }

  /** Adds every connection's pending counts to the Prometheus counters (before a scrape). */
  flushCounts(): void {
    for (const connection of this.#connections.keys()) connection.flushCounts();
  }

  /** Closes the connection carrying `streamPath` (every stream on it ends, with its leave). */
  async closeStream(streamPath: string, reason: string): Promise<boolean> {
    for (const [connection, listener] of this.#connections) {
      if (connection.streams.some((s) => s.name === streamPath)) {
        await this.#finish(listener, connection, reason);
        return true;
      }
    }
    return false;
  }

  /** Stream paths live on this pod, with their kind. */
  liveStreams(): Array<{ streamPath: string; kind: StreamKind; startedAt: Date }> {
    const out: Array<{ streamPath: string; kind: StreamKind; startedAt: Date }> = [];
    for (const [connection, listener] of this.#connections) {
      for (const s of connection.streams) if (s.name) out.push({ streamPath: s.name, kind: listener.kind, startedAt: s.startedAt });
    }
    return out;
  }

  /** SIGTERM: stop accepting now, close every connection after `graceMs`, leave events included. */
  async drain(graceMs: number): Promise<void> {
    this.#accepting = false;
    for (const l of this.#listeners) l.tcp?.close();
    if (graceMs > 0 && this.#connections.size > 0) await new Promise((r) => setTimeout(r, graceMs));
    await this.close('draining');
  }

  async close(reason = 'shutting down'): Promise<void> {
    this.#accepting = false;
    clearInterval(this.#sweep);
    for (const l of this.#listeners) {
      l.tcp?.close();
      try {
        l.udp?.close();
      } catch {
        /* already closed */
      }
    }
    await Promise.all([...this.#connections].map(([c, l]) => this.#finish(l, c, reason)));
    this.#connections.clear();
    this.#udpPeers.clear();
    this.#digest.close();
    this.#memory.close();
  }
}
