/**
 * The NATS connection of a bus: nats.js v3 with a reconnect backoff that follows how long the
 * connection has been down, and the probe of the bytes the client holds unsent (the pressure the
 * frame publisher reports).
 */
import { connect, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';

/**
 * Reconnect backoff: a quarter of the outage so far, at least 250 ms and at most 5 s (a blip is
 * bridged within a GOP, a long outage does not hammer the server), plus up to 25 % jitter so
 * pods do not reconnect in lock step.
 */
const RECONNECT_BASE_MS = 250;
const RECONNECT_MAX_MS = 5000;
const RECONNECT_BACKOFF_RATIO = 0.25;
const RECONNECT_JITTER = 0.25;

export interface NatsConnectionOptions {
  readonly url: string | readonly string[];
  readonly name?: string;
  /** nats.js writes its buffer to the socket once it holds this much (the outbox flush size). */
  readonly pendingLimit: number;
}

export interface OpenedConnection {
  readonly nc: NatsConnection;
  /** Call when the connection is back: the next outage's backoff starts small again. */
  readonly connectedAgain: () => void;
}

export async function openNatsConnection(opts: NatsConnectionOptions): Promise<OpenedConnection> {
  // nats.js asks for the delay on every turn of its dial loop (also while it is only waiting),
  // so the backoff follows how long the connection has been down, not a count of calls.
  let downSince: number | undefined;
  const options: ConnectionOptions & { pendingLimit: number } = {
    servers: typeof opts.url === 'string' ? opts.url : [...opts.url],
    name: opts.name ?? 'jt1078',
    maxReconnectAttempts: -1,
    waitOnFirstConnect: false,
    reconnectDelayHandler: () => {
      downSince ??= Date.now();
      const d = Math.min(RECONNECT_MAX_MS, Math.max(RECONNECT_BASE_MS, (Date.now() - downSince) * RECONNECT_BACKOFF_RATIO));
      return d + Math.random() * d * RECONNECT_JITTER;
    },
    // An option nats.js' ProtocolHandler reads but does not declare (32 KB by default): one
    // socket write per outbox flush.
    pendingLimit: opts.pendingLimit,
  };
  const nc = await connect(options);
  return { nc, connectedAgain: () => (downSince = undefined) };
}

/**
 * Bytes published but not yet taken by the kernel. nats.js v3 keeps them in two places and has no
 * public accessor for either: its ProtocolHandler's `outbound` DataBuffer (what publish appended
 * since the last flush) and the NodeTransport's socket (`writableLength`: what the socket could
 * not write yet, because the kernel's send buffer is full). The transport is replaced on every
 * reconnect, so it is looked up each time. Checked once at connect: a nats.js whose internals
 * moved fails loudly here (and in the bus tests) rather than leaving the bus without pressure.
 */
interface NatsInternals {
  readonly protocol?: {
    readonly outbound?: { size(): number };
    readonly transport?: { readonly socket?: { readonly writableLength: number } };
  };
}

export function unsentBytesProbe(nc: NatsConnection): () => number {
  const protocol = (nc as unknown as NatsInternals).protocol;
  if (typeof protocol?.outbound?.size !== 'function' || typeof protocol.transport?.socket?.writableLength !== 'number') {
    throw new Error('nats.js internals changed: NatsConnection.protocol.outbound.size() / protocol.transport.socket.writableLength not found; the bus cannot measure its unsent bytes (see nats-connection.ts, unsentBytesProbe)');
  }
  const outbound = protocol.outbound;
  return () => outbound.size() + (protocol.transport?.socket?.writableLength ?? 0);
}
