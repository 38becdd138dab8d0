/**
 * One stream's WebRTC egress, shared by its WHEP viewers: H.264 access units are packetized once
 * (RFC 6184), audio is made once per format its viewers negotiated — G.711 passed through as
 * PCMA/PCMU (RFC 3551: one frame per packet), or decoded and encoded as Opus (RFC 7587) — and
 * every viewer's session only stamps its own RTP headers and encrypts. The last group of
 * pictures is kept, so a viewer that connects mid-GOP starts at once from its key frame.
 */
import type { FrameEnvelope } from '@jt1078/bus';
import type { AudioDecodeOptions } from '@jt1078/media/audio';
import { H264RtpPacketizer, RtpAudioEncoder, canSendAsRtpAudio, type RtpAudioFormat, type RtpAudioPayload, type RtpPayload } from '@jt1078/media/rtp';
import { GopCache } from './gop-cache.js';

/** RTP clock rate of video (RFC 6184 §8.2.1: 90 kHz). */
const VIDEO_CLOCK = 90;
/** 2 MiB of packetized video: a long GOP at the bit rates devices send. */
const WHEP_GOP_BYTES = 2 * 1024 * 1024;

export interface VideoUnit {
  readonly rtpTimestamp: number;
  readonly keyFrame: boolean;
  readonly payloads: readonly RtpPayload[];
  readonly size: number;
}

export type AudioUnit = RtpAudioPayload;

/** What a viewer's session takes from the stream. */
export interface WhepStreamViewer {
  /** The audio format its peer negotiated; undefined for none (an offer without audio). */
  readonly audioFormat: RtpAudioFormat | undefined;
  /** A key frame and what follows it, to start from: the cached GOP, then live units. */
  start(gop: readonly VideoUnit[]): void;
  video(unit: VideoUnit): void;
  audio(unit: AudioUnit): void;
}

/** Why a frame reached no viewer (jt1078_packager_viewer_frames_skipped_total{protocol="whep"}). */
export type WhepSkipReason = 'video-codec' | 'audio-codec' | 'audio-undecodable';

export interface WhepStreamOptions {
  /** How the device's audio is read where the stream does not say (`jt1078.audio`). */
  readonly audio?: AudioDecodeOptions;
  readonly onSkipped?: (reason: WhepSkipReason) => void;
}

export class WhepStream {
  readonly #packetizer = new H264RtpPacketizer();
  readonly #gop = new GopCache<VideoUnit>(WHEP_GOP_BYTES, (u) => u.size);
  readonly #viewers = new Set<WhepStreamViewer>();
  /** Viewers waiting for the first key frame. */
  readonly #waiting = new Set<WhepStreamViewer>();
  /** Started viewers by audio format, and each format's encoder while it has viewers. */
  readonly #listeners = new Map<RtpAudioFormat, Set<WhepStreamViewer>>();
  readonly #encoders = new Map<RtpAudioFormat, RtpAudioEncoder>();
  #videoCodec: string | undefined;
  #audioCodec: string | undefined;
  /** Frames no viewer could take (H.265, AAC, audio that did not decode), for the metrics. */
  skipped = 0;

  constructor(
    readonly streamPath: string,
    private readonly opts: WhepStreamOptions = {},
  ) {}

  /** The stream's video codec as seen so far (undefined before its first video frame). */
  get videoCodec(): string | undefined {
    return this.#videoCodec;
  }

  /** The stream's audio codec as seen so far (undefined before its first audio frame). */
  get audioCodec(): string | undefined {
    return this.#audioCodec;
  }

  get viewerCount(): number {
    return this.#viewers.size + this.#waiting.size;
  }

  add(viewer: WhepStreamViewer): void {
    if (this.#gop.ready) {
      viewer.start(this.#gop.items());
      this.#started(viewer);
    } else {
      this.#waiting.add(viewer);
    }
  }

  remove(viewer: WhepStreamViewer): void {
    this.#viewers.delete(viewer);
    this.#waiting.delete(viewer);
    const format = viewer.audioFormat;
    const listeners = format ? this.#listeners.get(format) : undefined;
    if (!format || !listeners?.delete(viewer) || listeners.size > 0) return;
    // The last listener of a format is gone: its encoder stops with it (a new one starts fresh).
    this.#listeners.delete(format);
    this.#encoders.delete(format);
  }

  push(f: FrameEnvelope): void {
    // A name with a `-<unix ms>` suffix shares its subject with the first connection's stream.
    if (f.streamPath !== this.streamPath) return;
    if (f.mediaKind === 'audio') return this.#pushAudio(f);
    this.#videoCodec ??= f.codec;
    if (f.codec !== 'h264') return this.#skip('video-codec');
    const payloads = this.#packetizer.packetize(f.data);
    if (payloads.length === 0) return;
    let size = 0;
    for (const p of payloads) size += p.payload.length;
    const unit: VideoUnit = { rtpTimestamp: (f.timestamp * VIDEO_CLOCK) >>> 0, keyFrame: f.keyFrame, payloads, size };
    this.#gop.push(unit, f.keyFrame);
    if (f.keyFrame && this.#waiting.size > 0) {
      for (const v of this.#waiting) {
        this.#waiting.delete(v);
        v.start([]);
        this.#started(v);
      }
    }
    for (const v of this.#viewers) v.video(unit);
  }

  #started(viewer: WhepStreamViewer): void {
    this.#viewers.add(viewer);
    const format = viewer.audioFormat;
    if (!format) return;
    let listeners = this.#listeners.get(format);
    if (!listeners) this.#listeners.set(format, (listeners = new Set()));
    listeners.add(viewer);
  }

  #pushAudio(f: FrameEnvelope): void {
    this.#audioCodec ??= f.codec;
    // A codec change within one stream name (another connection) is not followed: its encoder state means nothing.
    if (f.codec !== this.#audioCodec || !canSendAsRtpAudio(f.codec)) return this.#skip('audio-codec');
    for (const [format, listeners] of this.#listeners) {
      let encoder = this.#encoders.get(format);
      if (!encoder) this.#encoders.set(format, (encoder = new RtpAudioEncoder(format, f.codec, this.opts.audio)));
      let units: RtpAudioPayload[];
      try {
        units = encoder.push({ data: f.data, timestamp: f.timestamp });
      } catch {
        // A block shorter than its header: counted, and the stream goes on.
        this.#skip('audio-undecodable');
        continue;
      }
      for (const unit of units) for (const v of listeners) v.audio(unit);
    }
  }

  #skip(reason: WhepSkipReason): void {
    this.skipped++;
    this.opts.onSkipped?.(reason);
  }
}
