/**
 * The packager's WHEP viewers: a WhepStream per watched stream (subscribed from the bus's
 * replayed window on its first viewer, released a grace period after its last), and the
 * sessions, bounded in number. Errors are HttpErrors with the status WHEP clients expect.
 */
import { randomUUID } from 'node:crypto';
import type { MediaBus, Unsubscribe } from '@jt1078/bus';
import type { AudioDecodeOptions } from '@jt1078/media/audio';
import { HttpError } from '@jt1078/runtime/http';
import type { Logger } from '@jt1078/runtime/logger';
import { SerialWork } from '@jt1078/webrtc';
import type { StreamCoordinates } from './stream-path.js';
import type { ViewerMetrics } from './viewer-metrics.js';
import { WhepSdpRejected, WhepSession, type WhepPeerSettings } from './whep-session.js';
import { WhepStream, type WhepSkipReason } from './whep-stream.js';

export interface WhepEgressOptions {
  readonly bus: MediaBus;
  readonly log: Logger;
  readonly peer: WhepPeerSettings;
  readonly maxSessions: number;
  readonly metrics?: ViewerMetrics;
  readonly releaseAfterMs?: number;
  /** How a device's audio is read where its stream does not say (`jt1078.audio`, per SIM). */
  readonly audioOptions?: (sim: string) => AudioDecodeOptions;
}

interface StreamEntry {
  readonly stream: WhepStream;
  readonly ready: Promise<Unsubscribe>;
  readonly sessions: Map<string, WhepSession>;
  release?: NodeJS.Timeout;
}

const CORS = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'Location' };

export class WhepEgress {
  readonly #streams = new Map<string, StreamEntry>();
  readonly #gathering = new SerialWork();
  #sessions = 0;

  constructor(private readonly opts: WhepEgressOptions) {}

  get sessions(): number {
    return this.#sessions;
  }

  /** A new viewer of `c` for `offer`: its id and the SDP answer. */
  async open(c: StreamCoordinates, offer: string): Promise<{ id: string; answer: string }> {
    if (this.#sessions >= this.opts.maxSessions) {
      throw new HttpError(503, `this packager has ${this.#sessions} WHEP viewers, its limit (cluster.viewers.whep_max_sessions)`, { ...CORS, 'Retry-After': '5' });
    }
    const entry = this.#entry(c);
    clearTimeout(entry.release);
    await entry.ready;
    if (entry.stream.videoCodec !== undefined && entry.stream.videoCodec !== 'h264') {
      this.#scheduleRelease(c.streamPath, entry);
      throw new HttpError(415, `${c.streamPath} is ${entry.stream.videoCodec}: WebRTC here carries H.264 only (no browser here decodes HEVC over WebRTC); use /hls/ or /flv/`, CORS);
    }
    const id = randomUUID();
    const m = this.opts.metrics;
    const bytes = m?.bytes.labels('whep');
    this.#sessions++;
    m?.viewers.inc({ protocol: 'whep' });
    const session = new WhepSession(id, {
      stream: entry.stream, peer: this.opts.peer, gathering: this.#gathering, log: this.opts.log,
      onBytes: (n) => bytes?.inc(n),
      onEnd: (_s, reason) => {
        this.#sessions--;
        entry.sessions.delete(id);
        m?.viewers.dec({ protocol: 'whep' });
        m?.ended.inc({ protocol: 'whep', reason });
        if (entry.sessions.size === 0) this.#scheduleRelease(c.streamPath, entry);
      },
    });
    entry.sessions.set(id, session);
    try {
      return { id, answer: await session.answer(offer) };
    } catch (err) {
      session.end('error');
      if (err instanceof WhepSdpRejected) throw new HttpError(400, err.message, CORS);
      throw err;
    }
  }

  /** Ends a viewer (DELETE); false when there is no such session. */
  end(streamPath: string, id: string): boolean {
    const session = this.#streams.get(streamPath)?.sessions.get(id);
    session?.end('client-closed');
    return session !== undefined;
  }

  #entry(c: StreamCoordinates): StreamEntry {
    const found = this.#streams.get(c.streamPath);
    if (found) return found;
    const skipped = this.opts.metrics?.skipped;
    const logged = new Set<WhepSkipReason>();
    const audio = this.opts.audioOptions?.(c.sim);
    const stream = new WhepStream(c.streamPath, {
      ...(audio ? { audio } : {}),
      onSkipped: (reason) => {
        skipped?.inc({ protocol: 'whep', reason });
        if (logged.has(reason)) return;
        logged.add(reason);
        this.opts.log.warn({ streamPath: c.streamPath, reason, video: stream.videoCodec, audio: stream.audioCodec }, 'WHEP viewers of this stream miss some of its frames (counted in jt1078_packager_viewer_frames_skipped_total)');
      },
    });
    const entry: StreamEntry = { stream, sessions: new Map(), ready: this.opts.bus.subscribeFrames({ streamKind: c.kind, sim: c.sim, channel: c.channel }, (f) => stream.push(f), { fromWindow: true }) };
    entry.ready.catch(() => this.#streams.delete(c.streamPath));
    this.#streams.set(c.streamPath, entry);
    return entry;
  }

  #scheduleRelease(streamPath: string, entry: StreamEntry): void {
    clearTimeout(entry.release);
    entry.release = setTimeout(() => {
      if (entry.sessions.size > 0 || this.#streams.get(streamPath) !== entry) return;
      this.#streams.delete(streamPath);
      void entry.ready.then((unsubscribe) => unsubscribe(), () => undefined);
    }, this.opts.releaseAfterMs ?? 10_000).unref();
  }

  close(): void {
    for (const entry of this.#streams.values()) {
      clearTimeout(entry.release);
      for (const s of [...entry.sessions.values()]) s.end('shutdown');
      void entry.ready.then((unsubscribe) => unsubscribe(), () => undefined);
    }
    this.#streams.clear();
  }
}
