/**
 * What the console shows of a live stream before anyone opens it (README "Console"): codecs,
 * picture size, bit rate and frame rate since the last report, when the last frame arrived, and
 * how many frames were dropped. The ingest stores a snapshot in the registry with each
 * heartbeat, so /api/v1/streams lists it from any pod. O(1) per frame; the SPS is parsed once
 * per key frame only until the size is known.
 */
import { describeVideo } from '@jt1078/media/video';

export type StreamStatsSnapshot = {
  readonly codecs: readonly string[];
  readonly width?: number;
  readonly height?: number;
  /** Over the time since the previous snapshot. */
  readonly kbps: number;
  readonly fps: number;
  /** Unix ms of the last frame published. */
  readonly lastFrameAt: number;
  readonly frames: number;
  readonly drops: number;
};

export class StreamStats {
  #videoCodec: string | undefined;
  #audioCodec: string | undefined;
  #width: number | undefined;
  #height: number | undefined;
  #frames = 0;
  #drops = 0;
  #lastFrameAt = 0;
  #windowStart: number;
  #windowBytes = 0;
  #windowVideoFrames = 0;

  constructor(private readonly now: () => number = Date.now) {
    this.#windowStart = now();
  }

  frame(f: { readonly mediaKind: 'video' | 'audio'; readonly codec: string; readonly keyFrame: boolean; readonly data: Uint8Array }): void {
    this.#frames++;
    this.#windowBytes += f.data.length;
    this.#lastFrameAt = this.now();
    if (f.mediaKind === 'audio') {
      this.#audioCodec = f.codec;
      return;
    }
    this.#videoCodec = f.codec;
    this.#windowVideoFrames++;
    if (f.keyFrame && this.#width === undefined && (f.codec === 'h264' || f.codec === 'h265')) {
      const d = describeVideo(f.codec, f.data);
      if (d) {
        this.#width = d.width;
        this.#height = d.height;
      }
    }
  }

  drop(): void {
    this.#drops++;
  }

  /** The current state; starts a new rate window. */
  snapshot(): StreamStatsSnapshot {
    const now = this.now();
    const seconds = Math.max(0.001, (now - this.#windowStart) / 1000);
    const out: StreamStatsSnapshot = {
      codecs: [this.#videoCodec, this.#audioCodec].filter((c): c is string => c !== undefined),
      ...(this.#width !== undefined ? { width: this.#width, height: this.#height! } : {}),
      kbps: Math.round((this.#windowBytes * 8) / seconds / 1000),
      fps: Math.round((this.#windowVideoFrames / seconds) * 10) / 10,
      lastFrameAt: this.#lastFrameAt,
      frames: this.#frames,
      drops: this.#drops,
    };
    this.#windowStart = now;
    this.#windowBytes = 0;
    this.#windowVideoFrames = 0;
    return out;
  }
}
