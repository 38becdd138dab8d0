/**
 * One device connection (a TCP socket, or a UDP peer): bytes → StreamDemuxer → FrameAssembler
 * → a StreamSession per SIM/channel. A bad device costs only its own connection: faults are
 * counted and logged in digests, an idle link is closed, and nothing here throws to the server.
 */
import { FaultKind, FrameAssembler, StreamDemuxer, type FrameBudget, type StreamFault } from '@jt1078/jt1078';
import type { StreamEndpointConfig } from '@jt1078/runtime/config';
import type { ErrorDigest, Logger } from '@jt1078/runtime/logger';
import { DebugCapture } from './debug-capture.js';
import type { EventPublisher, FramePublisher, IngestFrame, StreamKind, StreamNameClaims } from './ingest-ports.js';
import type { IngestMetrics } from './ingest-metrics.js';
import { StreamSession } from './stream-session.js';


export interface IngestConnectionDeps {
  readonly kind: StreamKind;
  readonly endpoint: StreamEndpointConfig;
  readonly connectionId: string;
  readonly remoteAddress: string;
  readonly pod: string;
  readonly publisher: FramePublisher;
  readonly events: EventPublisher;
  readonly claims: StreamNameClaims;
  readonly registryTtlMs: number;
  readonly segmentTargetMs: number;
  readonly metrics: IngestMetrics;
  readonly log: Logger;
  readonly digest: ErrorDigest;
  /** Closes the transport (socket.destroy); called once. */
  readonly closeTransport: (reason: string) => void;
  readonly onFrame?: (frame: IngestFrame) => void;
  /** The peer is not speaking JT1078 at all (the server closes it). */
  readonly onNotJt1078?: (connection: IngestConnection) => void;
  /** Handling this connection's bytes threw (a bug a hostile input found): the server closes only it. */
  readonly onHandlerError?: (connection: IngestConnection, err: unknown) => void;
  /** Unfinished-frame bytes this connection may hold (cluster.ingest.max_unfinished_bytes_per_connection). */
  readonly maxUnfinishedBytes?: number;
  /** The pod's unfinished-frame budget, shared by every connection (cluster.ingest.max_unfinished_bytes). */
  readonly podBudget?: FrameBudget;
  /** SIM/channel pairs this connection may carry (cluster.ingest.max_streams_per_connection). */
  readonly maxStreams?: number;
  readonly now?: () => Date;
  readonly monotonicMs?: () => number;
}

export class IngestConnection {
  readonly #demuxer: StreamDemuxer;
  readonly #assembler: FrameAssembler;
  readonly #sessions = new Map<string, StreamSession>();
  readonly #debug: DebugCapture | undefined;
  readonly #now: () => Date;
  readonly #mono: () => number;
  #closing: Promise<void> | undefined;
  /** When the last whole packet arrived: bytes that complete no packet (a drip, garbage) are not activity. */
  lastActivityMs: number;
  /** The current read has not completed a packet yet: the clock is read once per read, not per packet. */
  #readUnstamped = false;
  bytes = 0;
  /**
   * Counts kept as plain numbers and added to the Prometheus counters by flushCounts (before
   * every scrape, and on close): a labelled inc costs about a microsecond, and per packet and per
   * frame that was a tenth of the ingest's CPU.
   */
  readonly #counts = { packets: 0, bytes: 0, video: 0, audio: 0 };
  readonly #drops = new Map<string, number>();
  /**
   * SIM/channel pairs admitted on this connection. Bounded: a peer cycling through SIMs would
   * otherwise grow a session (and its registry heartbeat) and assembler slots per SIM forever.
   */
  readonly #admitted = new Set<string>();
  #lastAdmitted = '';
  /** The stream of the last frame: a connection nearly always carries one, so most frames skip the lookup. */
  #last: { sim: string; channel: number; session: StreamSession } | undefined;

  constructor(private readonly deps: IngestConnectionDeps) {
    this.#now = deps.now ?? (() => new Date());
    this.#mono = deps.monotonicMs ?? (() => performance.now());
    this.lastActivityMs = this.#mono();
    const onFault = (f: StreamFault) => this.#fault(f);
    this.#assembler = new FrameAssembler({
      onFault,
      ...(deps.maxUnfinishedBytes ? { maxBufferedBytes: deps.maxUnfinishedBytes } : {}),
      ...(deps.podBudget ? { sharedBudget: deps.podBudget } : {}),
    });
    this.#demuxer = new StreamDemuxer({
      onFault,
      onPacket: (packet) => {
        this.#counts.packets++;
        if (this.#readUnstamped) {
          this.#readUnstamped = false;
          this.lastActivityMs = this.#mono();
        }
        if (!this.#admit(packet.sim, packet.channel, packet.offset)) return;
        const frames = this.#assembler.push(packet);
        for (const frame of frames) this.#session(frame.sim, frame.channel).push(frame);
      },
    });
    const debug = deps.endpoint.debug;
    if (debug.enable) {
      this.#debug = new DebugCapture(debug.dir, `${deps.kind}-${deps.remoteAddress}`, debug.save_time_second, Date.now());
    }
  }

  /** Bytes held for incomplete packets and frames (bounded by the demuxer and assembler limits). */
  get bufferedBytes(): number {
    return this.#demuxer.bufferedBytes + this.#assembler.bufferedBytes;
  }

  get streams(): readonly StreamSession[] {
    return [...this.#sessions.values()];
  }

  push(chunk: Uint8Array): void {
    if (this.#closing) return;
    this.bytes += chunk.length;
    this.#counts.bytes += chunk.length;
    this.#readUnstamped = true;
    try {
      this.#debug?.write(chunk, Date.now());
      this.#demuxer.push(chunk);
    } catch (err) {
      // Nothing a peer sends may take the pod down: whatever its bytes made throw costs only its
      // own connection.
      this.#handlerError(err);
      const d = this.deps;
      if (d.onHandlerError) d.onHandlerError(this, err);
      else void this.close('handler-error');
    }
  }

  /** Counted as fault handler-error, logged once per connection. */
  #handlerError(err: unknown): void {
    const d = this.deps;
    d.metrics.faults.inc({ kind: d.kind, fault: 'handler-error' });
    d.digest.report(`handler-error:${d.connectionId}`, 'device bytes made the ingest throw; connection closed', {
      connectionId: d.connectionId,
      remote: d.remoteAddress,
      err: err instanceof Error ? err.message.slice(0, 200) : String(err).slice(0, 200),
    });
  }

  /** Adds what this connection counted since the last flush to the Prometheus counters. */
  flushCounts(): void {
    const { kind, metrics } = this.deps;
    const c = this.#counts;
    if (c.packets > 0) metrics.packets.inc({ kind }, c.packets);
    if (c.bytes > 0) metrics.bytes.inc({ kind }, c.bytes);
    if (c.video > 0) metrics.frames.inc({ kind, media: 'video' }, c.video);
    if (c.audio > 0) metrics.frames.inc({ kind, media: 'audio' }, c.audio);
    c.packets = c.bytes = c.video = c.audio = 0;
    for (const [reason, n] of this.#drops) metrics.drops.inc({ kind, reason }, n);
    this.#drops.clear();
  }

  #session(sim: string, channel: number): StreamSession {
    const last = this.#last;
    if (last && last.sim === sim && last.channel === channel) return last.session;
    const key = `${sim}/${channel}`;
    let session = this.#sessions.get(key);
    if (!session) {
      session = this.#openSession(sim, channel);
      this.#sessions.set(key, session);
    }
    this.#last = { sim, channel, session };
    return session;
  }

  #openSession(sim: string, channel: number): StreamSession {
    const d = this.deps;
    d.metrics.streams.inc({ kind: d.kind });
    return new StreamSession({
      kind: d.kind,
      prefix: d.endpoint.prefix,
      sim,
      channel,
      connectionId: d.connectionId,
      pod: d.pod,
      publisher: d.publisher,
      events: d.events,
      claims: d.claims,
      registryTtlMs: d.registryTtlMs,
      segmentTargetMs: d.segmentTargetMs,
      now: this.#now,
      monotonicMs: this.#mono,
      onDrop: (reason) => {
        this.#drops.set(reason, (this.#drops.get(reason) ?? 0) + 1);
        // One digest per reason for the pod, not per connection: a slow bus makes every stream
        // drop at once, and thousands of keys would make a log line per connection per second.
        d.digest.report(`drop:${reason}`, `frame dropped: ${reason}`, { connectionId: d.connectionId, sim, channel, reason });
      },
      onPublished: (frame, publishMs) => {
        this.#counts[frame.mediaKind]++;
        if (publishMs !== undefined) d.metrics.publishSeconds.observe(publishMs / 1000);
        d.onFrame?.(frame);
      },
      onError: (err, what) => d.log.error({ err, connectionId: d.connectionId, sim, channel }, what),
    });
  }

  #admit(sim: string, channel: number, offset: number): boolean {
    const key = `${sim}/${channel}`;
    if (key === this.#lastAdmitted) return true;
    if (!this.#admitted.has(key)) {
      const limit = this.deps.maxStreams ?? Number.POSITIVE_INFINITY;
      if (this.#admitted.size >= limit) {
        this.#fault({ kind: FaultKind.tooManyStreams, offset, detail: `more than ${limit} SIM/channel pairs on one connection`, sim, channel });
        return false;
      }
      this.#admitted.add(key);
    }
    this.#lastAdmitted = key;
    return true;
  }

  #fault(f: StreamFault): void {
    const d = this.deps;
    // A peer that sent 128 KB without one JT1078 packet is not a device: free its slot.
    if (f.kind === 'revision-unknown' && this.#sessions.size === 0) queueMicrotask(() => void d.onNotJt1078?.(this));
    d.metrics.faults.inc({ kind: d.kind, fault: f.kind });
    d.digest.report(`fault:${f.kind}:${d.connectionId}`, `device stream fault: ${f.kind}`, {
      connectionId: d.connectionId,
      remote: d.remoteAddress,
      offset: f.offset,
      detail: f.detail,
      ...(f.sim ? { sim: f.sim, channel: f.channel } : {}),
    });
  }

  /**
   * Ends every stream (leave events), closes the transport; safe to call more than once. Never
   * rejects: a stream's end catches its own failures, and a throw of the demuxer's end is counted.
   */
  close(reason: string): Promise<void> {
    this.#closing ??= (async () => {
      const d = this.deps;
      try {
        this.#demuxer.end();
        this.#assembler.end();
      } catch (err) {
        // The device's last bytes run through the same code push() guards: a throw here must
        // not skip the transport and the leaves, nor reject (callers do not wait).
        this.#handlerError(err);
      }
      d.closeTransport(reason);
      const nowMs = Date.now();
      this.#debug?.stop(nowMs);
      const extra = this.#debug ? { debugFile: this.#debug.file, debugRecordTime: this.#debug.recordedSeconds(nowMs) } : {};
      d.log.info({ connectionId: d.connectionId, remote: d.remoteAddress, reason, bytes: this.bytes, streams: [...this.#sessions.values()].map((s) => s.name ?? s.baseName) }, 'device connection closed');
      await Promise.all([...this.#sessions.values()].map((s) => s.end(extra)));
      this.flushCounts();
      d.metrics.streams.dec({ kind: d.kind }, this.#sessions.size);
    })();
    return this.#closing;
  }
}
