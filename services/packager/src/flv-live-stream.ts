/**
 * One stream's FLV, muxed once and fanned out to its viewers (HTTP-FLV and WS-FLV alike): each
 * viewer gets the muxer's preamble, the cached tags since the last key frame, then live tags.
 *
 * The FLV header names its tracks before the first tag, so the muxer is made once the stream's
 * codecs are known: at the first video key frame, with the audio codec seen by then or within
 * TRACK_LOOKAHEAD_MS of stream time after it (a replayed window gets there at once).
 */
import type { FrameEnvelope } from '@jt1078/bus';
import type { MediaFrame } from '@jt1078/media';
import { FlvMuxer, type FlvHevcForm, type FlvTagOut } from '@jt1078/media/flv';
import { GopCache } from './gop-cache.js';
import type { ViewerEndReason, ViewerSink } from './viewer-sink.js';

/** How far past the first key frame to look for audio before deciding the tracks. */
const TRACK_LOOKAHEAD_MS = 500;
/** Frames held while the tracks are being decided (a stream with no key frame never grows past it). */
const MAX_PENDING_FRAMES = 256;
const SKIP_REASONS = ['videoBeforeKeyFrame', 'audioBeforeVideo', 'unsupportedAudio', 'malformedAudio'] as const;
type SkipReason = (typeof SKIP_REASONS)[number];

/** Frame spacing assumed where a device reconnect restarts timestamps. */
const RECONNECT_STEP_MS = 40;

export interface FlvViewerEvents {
  readonly onBytes: (n: number) => void;
  readonly onEnd: (reason: ViewerEndReason) => void;
}

export interface FlvLiveStreamOptions {
  readonly streamPath: string;
  /** A viewer whose unsent bytes exceed this is cut as slow. */
  readonly maxQueueBytes: number;
  readonly gopCacheBytes?: number;
  readonly hevcForm?: FlvHevcForm;
  /** What the muxer could not carry, for the metrics. */
  readonly onSkipped?: (reason: string, n: number) => void;
}

export class FlvViewer {
  #ended = false;
  #joinBurst = 0;

  constructor(
    readonly sink: ViewerSink,
    private readonly maxQueueBytes: number,
    private readonly events: FlvViewerEvents,
  ) {}

  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Writes one chunk. The bound is the queue limit plus what the viewer was sent when it joined
   * (preamble and cached GOP, written at once): a healthy viewer drains that burst in a moment,
   * a stalled one is cut once live data piles up behind it.
   */
  send(chunk: Uint8Array, joining = false): void {
    if (this.#ended) return;
    if (joining) this.#joinBurst += chunk.length;
    else if (this.sink.queuedBytes > this.maxQueueBytes + this.#joinBurst) return this.end('slow');
    this.sink.write(chunk);
    this.events.onBytes(chunk.length);
  }

  end(reason: ViewerEndReason): void {
    if (this.#ended) return;
    this.#ended = true;
    if (reason !== 'client-closed') this.sink.end(reason);
    this.events.onEnd(reason);
  }
}

export class FlvLiveStream {
  readonly #viewers = new Set<FlvViewer>();
  /** Viewers that arrived before a key frame was cached: they start at the next one. */
  readonly #waiting = new Set<FlvViewer>();
  readonly #gop: GopCache<FlvTagOut>;
  #muxer: FlvMuxer | undefined;
  #pending: MediaFrame[] = [];
  #connectionId: string | undefined;
  #offset = 0;
  #lastTs = -Infinity;
  #reported: Record<SkipReason, number> = { videoBeforeKeyFrame: 0, audioBeforeVideo: 0, unsupportedAudio: 0, malformedAudio: 0 };

  constructor(private readonly opts: FlvLiveStreamOptions) {
    this.#gop = new GopCache<FlvTagOut>(opts.gopCacheBytes, (t) => t.bytes.length);
  }

  get viewerCount(): number {
    return this.#viewers.size + this.#waiting.size;
  }

  /** A new viewer: served from the last key frame now, or from the next one. */
  add(sink: ViewerSink, events: FlvViewerEvents): FlvViewer {
    const viewer = new FlvViewer(sink, this.opts.maxQueueBytes, {
      onBytes: events.onBytes,
      onEnd: (reason) => {
        this.#viewers.delete(viewer);
        this.#waiting.delete(viewer);
        events.onEnd(reason);
      },
    });
    sink.onClose(() => viewer.end('client-closed'));
    if (this.#muxer && this.#gop.ready) {
      this.#start(viewer);
      for (const t of this.#gop.items()) viewer.send(t.bytes, true);
    } else {
      this.#waiting.add(viewer);
    }
    return viewer;
  }

  /** A frame from the bus for this stream's subject. */
  push(f: FrameEnvelope): void {
    // A name with a `-<unix ms>` suffix shares its subject with the first connection's stream.
    if (f.streamPath !== this.opts.streamPath) return;
    if (f.connectionId !== this.#connectionId) {
      // A device reconnect may restart its clock: go on from where the last connection ended.
      if (this.#connectionId !== undefined && f.timestamp + this.#offset <= this.#lastTs) this.#offset = this.#lastTs + RECONNECT_STEP_MS - f.timestamp;
      this.#connectionId = f.connectionId;
    }
    const timestamp = f.timestamp + this.#offset;
    this.#lastTs = Math.max(this.#lastTs, timestamp);
    const frame: MediaFrame = { kind: f.mediaKind, codec: f.codec, data: f.data, timestamp, keyFrame: f.keyFrame };
    if (this.#muxer) return this.#mux(frame);
    this.#pending.push(frame);
    if (this.#pending.length > MAX_PENDING_FRAMES) this.#pending.shift();
    this.#decideTracks();
  }

  end(reason: ViewerEndReason): void {
    for (const v of [...this.#viewers, ...this.#waiting]) v.end(reason);
  }

  #decideTracks(): void {
    const key = this.#pending.find((f) => f.kind === 'video' && f.keyFrame);
    const audio = this.#pending.find((f) => f.kind === 'audio');
    const last = this.#pending[this.#pending.length - 1]!;
    const videoOnlyDecided = key !== undefined && last.timestamp - key.timestamp >= TRACK_LOOKAHEAD_MS;
    const audioOnly = key === undefined && audio !== undefined && !this.#pending.some((f) => f.kind === 'video') && last.timestamp - audio.timestamp >= TRACK_LOOKAHEAD_MS;
    if (!(key && (audio || videoOnlyDecided)) && !audioOnly) return;
    const video = key?.codec === 'h264' || key?.codec === 'h265' ? key.codec : undefined;
    this.#muxer = new FlvMuxer({ ...(video ? { video } : {}), ...(audio ? { audio: audio.codec } : {}) }, this.opts.hevcForm ? { hevcForm: this.opts.hevcForm } : {});
    const pending = this.#pending;
    this.#pending = [];
    for (const f of pending) this.#mux(f);
  }

  #mux(frame: MediaFrame): void {
    const muxer = this.#muxer!;
    for (const tag of muxer.push(frame)) {
      // An audio-only stream: every tag is a place to start.
      const startsGop = tag.keyFrame || (!muxer.hasVideo && this.#gop.bytes === 0);
      this.#gop.push(tag, startsGop);
      if (startsGop && this.#waiting.size > 0) {
        for (const v of this.#waiting) {
          this.#waiting.delete(v);
          this.#start(v);
        }
      }
      for (const v of this.#viewers) v.send(tag.bytes);
    }
    this.#reportSkipped(muxer);
  }

  #start(viewer: FlvViewer): void {
    for (const chunk of this.#muxer!.preamble()) viewer.send(chunk, true);
    this.#viewers.add(viewer);
  }

  #reportSkipped(muxer: FlvMuxer): void {
    const report = this.opts.onSkipped;
    if (!report) return;
    for (const k of SKIP_REASONS) {
      const n = muxer.stats[k] - this.#reported[k];
      if (n > 0) {
        report(k, n);
        this.#reported[k] = muxer.stats[k];
      }
    }
  }
}
