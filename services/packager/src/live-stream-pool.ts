/**
 * The packager's live streams: one MediaFramePackager per stream path, started on the first
 * request from the bus's retained window (so a packager that starts late, or restarts, has the
 * last key frames at once) and released when nobody has asked for it for a while.
 */
import type { FrameEnvelope, MediaBus, Unsubscribe } from '@jt1078/bus';
import type { AudioDecodeOptions } from '@jt1078/media/audio';
import { MediaFramePackager } from '@jt1078/media/packaging';
import { continuesNumbering } from '@jt1078/numbering';
import type { Logger } from '@jt1078/runtime/logger';
import type { PackagerMetrics } from './packager-metrics.js';
import type { StreamCoordinates } from './stream-path.js';

/** Earlier device connections remembered per stream (a reconnecting device, and its late frames). */
const MAX_PAST_CONNECTIONS = 8;
/** How often a packager says which of its streams are watched. */
const VIEWER_NOTICE_MS = 2000;
/**
 * After a stream's leave, frames must have stopped for this long before its playlist is ended: a
 * device that reconnects to another pod at once (its name taken over, leave then join) goes on
 * in the same playlist without an EXT-X-ENDLIST in between.
 */
export const LEAVE_GRACE_MS = 1500;
/** Ended streams are looked at this often, to be dropped once their window has passed. */
const SWEEP_MS = 1000;

export interface LiveStream {
  readonly coordinates: StreamCoordinates;
  /** Replaced when the device reconnects (a new connection's segments are numbered afresh). */
  packager: MediaFramePackager;
  /** The device connection whose frames are being packaged. */
  connectionId: string | undefined;
  /** Connections packaged before it (their late frames are skipped). */
  readonly pastConnections: Set<string>;
  lastRequestMs: number;
  lastFrameMs: number;
  /** Last frame of any connection under this name (a reconnected device's come before its first mark). */
  lastSeenMs: number;
  frames: number;
  /** When its playlist got EXT-X-ENDLIST (the stream left); dropped a window later. */
  endedAt?: number | undefined;
  unsubscribe?: Unsubscribe;
}

export interface LiveStreamPoolOptions {
  readonly bus: MediaBus;
  readonly log: Logger;
  readonly partMs: number;
  readonly segmentMs: number;
  /** Segments kept per stream. */
  readonly windowSegments?: number;
  /** A stream nobody requested for this long is released. */
  readonly idleReleaseMs?: number;
  /** Says which streams have viewers (for the ingest's overtime_second); the pod name. */
  readonly announceAs?: string;
  readonly onViewer?: (stream: LiveStream) => void;
  readonly metrics?: PackagerMetrics;
  /** How a device's audio is read where its stream does not say (`jt1078.audio`, per SIM). */
  readonly audioOptions?: (sim: string) => AudioDecodeOptions;
}

export class LiveStreamPool {
  readonly #streams = new Map<string, LiveStream>();
  readonly #sweep: NodeJS.Timeout;

  readonly #announce: NodeJS.Timeout | undefined;
  #unwatch: Unsubscribe | undefined;
  #closed = false;
  /** Parts and segments of packagers no longer in the pool (released streams, old connections). */
  readonly #retired = { parts: 0, segments: 0 };

  constructor(private readonly opts: LiveStreamPoolOptions) {
    opts.metrics?.bindPool({
      streams: () => this.#streams.size,
      watched: () => [...this.#streams.values()].filter((st) => Date.now() - st.lastRequestMs <= 2 * VIEWER_NOTICE_MS).length,
      cut: () => {
        const out = { ...this.#retired };
        for (const st of this.#streams.values()) {
          out.parts += st.packager.segmenter.stats.parts;
          out.segments += st.packager.segmenter.stats.segments;
        }
        return out;
      },
    });
    // The pool is what the packager receives frames for: what the bus could not read is dropped on the way here.
    opts.metrics?.bindBusDrops(() => opts.bus.stats.dropped);
    this.#sweep = setInterval(() => this.#releaseIdle(), SWEEP_MS);
    this.#sweep.unref();
    // Leaves end playlists (README "Streams end visibly"); a tap, so the webhook's queue keeps them.
    void opts.bus.watchEvents((e) => {
      if (e.action === 'leave' && e.type !== 'audio') this.#left(e.streamKey);
    }).then(
      (unwatch) => (this.#closed ? unwatch() : (this.#unwatch = unwatch)),
      (err: unknown) => opts.log.warn({ err }, 'cannot watch leave events: playlists of ended streams will not say so'),
    );
    if (opts.announceAs) {
      this.#announce = setInterval(() => this.#announceViewers(opts.announceAs!), VIEWER_NOTICE_MS);
      this.#announce.unref();
    }
  }

  /** A stream requested within the last notice period has viewers: say so on the bus. */
  #announceViewers(from: string): void {
    const now = Date.now();
    for (const s of this.#streams.values()) {
      if (now - s.lastRequestMs > 2 * VIEWER_NOTICE_MS) continue;
      const c = s.coordinates;
      try {
        this.opts.bus.publishViewers({ streamKind: c.kind, sim: c.sim, channel: c.channel, streamPath: c.streamPath, viewers: 1, from, at: now });
        this.opts.metrics?.viewerNotices.inc();
      } catch (err) {
        this.opts.log.warn({ err, streamPath: c.streamPath }, 'viewer notice not published');
      }
    }
  }

  get size(): number {
    return this.#streams.size;
  }

  #newPackager(sim: string): MediaFramePackager {
    const audio = this.opts.audioOptions?.(sim);
    return new MediaFramePackager({
      ...(audio ? { audio } : {}),
      source: 'marked',
      partTargetMs: this.opts.partMs,
      segmentTargetMs: this.opts.segmentMs,
      windowSegments: this.opts.windowSegments ?? 6,
      expectVideo: 'auto',
      expectAudio: 'auto',
    });
  }

  /** The stream's packager, subscribing to its frames on first use. */
  async acquire(c: StreamCoordinates): Promise<LiveStream> {
    let s = this.#streams.get(c.streamPath);
    if (!s) {
      const videoFrames = this.opts.metrics?.frames.labels('video');
      const audioFrames = this.opts.metrics?.frames.labels('audio');
      const stream: LiveStream = { coordinates: c, packager: this.#newPackager(c.sim), connectionId: undefined, pastConnections: new Set(), lastRequestMs: Date.now(), lastFrameMs: 0, lastSeenMs: 0, frames: 0 };
      this.#streams.set(c.streamPath, stream);
      s = stream;
      const onFrame = (f: FrameEnvelope) => {
        // A name with a `-<unix ms>` suffix shares its subject with the first connection's stream.
        if (f.streamPath !== c.streamPath) return;
        stream.lastSeenMs = Date.now();
        if (f.connectionId !== stream.connectionId && !this.#switchConnection(stream, f)) return;
        stream.frames++;
        stream.lastFrameMs = Date.now();
        (f.mediaKind === 'video' ? videoFrames : audioFrames)?.inc();
        stream.packager.push({
          kind: f.mediaKind, codec: f.codec, data: f.data, timestamp: f.timestamp, keyFrame: f.keyFrame, sequence: f.sequence,
          ...(f.segment === undefined ? {} : { segment: f.segment }),
          ...(f.discontinuity === undefined ? {} : { discontinuity: f.discontinuity }),
        });
      };
      try {
        stream.unsubscribe = await this.opts.bus.subscribeFrames({ streamKind: c.kind, sim: c.sim, channel: c.channel }, onFrame, { fromWindow: true });
      } catch (err) {
        this.#streams.delete(c.streamPath);
        throw err;
      }
      this.opts.log.info({ streamPath: c.streamPath }, 'packaging stream');
    }
    s.lastRequestMs = Date.now();
    this.opts.onViewer?.(s);
    return s;
  }

  get(streamPath: string): LiveStream | undefined {
    return this.#streams.get(streamPath);
  }

  /** A leave for `streamPath`: unless frames go on (the device is back already), the playlist ends. */
  #left(streamPath: string): void {
    const s = this.#streams.get(streamPath);
    if (!s) return;
    const at = Date.now();
    setTimeout(() => {
      if (this.#streams.get(streamPath) !== s || s.endedAt !== undefined || s.lastSeenMs > at) return;
      s.packager.end();
      s.endedAt = Date.now();
      this.opts.log.info({ streamPath }, 'stream left: playlist ended (EXT-X-ENDLIST)');
    }, LEAVE_GRACE_MS).unref();
  }

  #releaseIdle(): void {
    const limit = this.opts.idleReleaseMs ?? 60_000;
    // An ended playlist stays for a window (players finish it), then the stream is gone: 404.
    const endedLimit = (this.opts.windowSegments ?? 6) * this.opts.segmentMs;
    const now = Date.now();
    for (const [path, s] of this.#streams) {
      if (s.endedAt !== undefined && now - s.endedAt > endedLimit) {
        s.unsubscribe?.();
        this.#retire(s.packager);
        this.#streams.delete(path);
        this.opts.log.info({ streamPath: path }, 'dropped ended stream (its window has passed)');
        continue;
      }
      if (now - s.lastRequestMs > limit) {
        s.unsubscribe?.();
        this.#retire(s.packager);
        this.#streams.delete(path);
        this.opts.log.info({ streamPath: path }, 'released stream (no viewers)');
      }
    }
  }

  /**
   * A frame from another device connection than the one being packaged. The first connection
   * seen is simply taken. A later one (the device reconnected) is taken at its first segment
   * mark: when the ingest continued the numbering (its first segment follows the last one, in a
   * later discontinuity sequence), the same playlist goes on after a discontinuity, so players
   * keep playing; otherwise the playlist starts over. Frames of an older connection that arrive
   * late, and of the new one before its first mark, are skipped. True when `f` is to be packaged.
   */
  #switchConnection(stream: LiveStream, f: FrameEnvelope): boolean {
    if (stream.connectionId === undefined) {
      stream.connectionId = f.connectionId;
      return true;
    }
    if (stream.pastConnections.has(f.connectionId) || f.segment === undefined) return false;
    const seg = stream.packager.segmenter;
    const continues = continuesNumbering({ lastMsn: seg.lastMsn, discontinuity: seg.discontinuity }, { segment: f.segment, discontinuity: f.discontinuity });
    stream.endedAt = undefined;
    if (continues) {
      stream.packager.newConnection();
    } else {
      stream.packager.end();
      this.#retire(stream.packager);
      stream.packager = this.#newPackager(stream.coordinates.sim);
    }
    this.opts.log.info({ streamPath: stream.coordinates.streamPath, connectionId: f.connectionId, continues }, continues ? 'stream continues on a new device connection, after a discontinuity' : 'stream continues on a new device connection: its numbering starts afresh, so the playlist does too');
    stream.pastConnections.add(stream.connectionId);
    if (stream.pastConnections.size > MAX_PAST_CONNECTIONS) stream.pastConnections.delete(stream.pastConnections.values().next().value!);
    stream.connectionId = f.connectionId;
    return true;
  }

  #retire(packager: MediaFramePackager): void {
    this.#retired.parts += packager.segmenter.stats.parts;
    this.#retired.segments += packager.segmenter.stats.segments;
  }

  close(): void {
    this.#closed = true;
    this.#unwatch?.();
    clearInterval(this.#sweep);
    clearInterval(this.#announce);
    for (const s of this.#streams.values()) s.unsubscribe?.();
    this.#streams.clear();
  }
}
