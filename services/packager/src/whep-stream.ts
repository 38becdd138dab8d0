/**
 * One stream's WebRTC egress, shared by its WHEP viewers: H.264 access units are packetized once
 * (RFC 6184), G.711 audio is passed through as PCMA/PCMU (RFC 3551: one frame per packet), and
 * every viewer's session only stamps its own RTP headers and encrypts. The last group of
 * pictures is kept, so a viewer that connects mid-GOP starts at once from its key frame.
 */
import type { FrameEnvelope } from '@jt1078/bus';
import { H264RtpPacketizer, type RtpPayload } from '@jt1078/media/rtp';
import { GopCache } from './gop-cache.js';

/** RTP clock rates (RFC 6184 §8.2.1: 90 kHz video; RFC 3551 §4.5.14: 8 kHz G.711). */
const VIDEO_CLOCK = 90;
const G711_CLOCK = 8;
/** 2 MiB of packetized video: a long GOP at the bit rates devices send. */
const WHEP_GOP_BYTES = 2 * 1024 * 1024;

export interface VideoUnit {
  readonly rtpTimestamp: number;
  readonly keyFrame: boolean;
  readonly payloads: readonly RtpPayload[];
  readonly size: number;
}

export interface AudioUnit {
  readonly rtpTimestamp: number;
  readonly payload: Uint8Array;
}

/** What a viewer's session takes from the stream. */
export interface WhepStreamViewer {
  /** A key frame and what follows it, to start from: the cached GOP, then live units. */
  start(gop: readonly VideoUnit[]): void;
  video(unit: VideoUnit): void;
  audio(unit: AudioUnit): void;
}

export type WhepAudioCodec = 'g711a' | 'g711u';

export class WhepStream {
  readonly #packetizer = new H264RtpPacketizer();
  readonly #gop = new GopCache<VideoUnit>(WHEP_GOP_BYTES, (u) => u.size);
  readonly #viewers = new Set<WhepStreamViewer>();
  /** Viewers waiting for the first key frame. */
  readonly #waiting = new Set<WhepStreamViewer>();
  #videoCodec: string | undefined;
  #audioCodec: string | undefined;
  /** Frames of codecs WebRTC here does not carry (H.265, non-G.711 audio), for the metrics. */
  skipped = 0;

  constructor(readonly streamPath: string) {}

  /** The stream's video codec as seen so far (undefined before its first video frame). */
  get videoCodec(): string | undefined {
    return this.#videoCodec;
  }

  /** G.711 audio the viewers can take as sent; undefined for none or another codec. */
  get audioCodec(): WhepAudioCodec | undefined {
    return this.#audioCodec === 'g711a' || this.#audioCodec === 'g711u' ? this.#audioCodec : undefined;
  }

  get viewerCount(): number {
    return this.#viewers.size + this.#waiting.size;
  }

  add(viewer: WhepStreamViewer): void {
    if (this.#gop.ready) {
      viewer.start(this.#gop.items());
      this.#viewers.add(viewer);
    } else {
      this.#waiting.add(viewer);
    }
  }

  remove(viewer: WhepStreamViewer): void {
    this.#viewers.delete(viewer);
    this.#waiting.delete(viewer);
  }

  push(f: FrameEnvelope): void {
    // A name with a `-<unix ms>` suffix shares its subject with the first connection's stream.
    if (f.streamPath !== this.streamPath) return;
    if (f.mediaKind === 'audio') {
      this.#audioCodec ??= f.codec;
      if (f.codec !== this.#audioCodec || !this.audioCodec) return void this.skipped++;
      const unit: AudioUnit = { rtpTimestamp: (f.timestamp * G711_CLOCK) >>> 0, payload: f.data };
      for (const v of this.#viewers) v.audio(unit);
      return;
    }
    this.#videoCodec ??= f.codec;
    if (f.codec !== 'h264') return void this.skipped++;
    const payloads = this.#packetizer.packetize(f.data);
    if (payloads.length === 0) return;
    let size = 0;
    for (const p of payloads) size += p.payload.length;
    const unit: VideoUnit = { rtpTimestamp: (f.timestamp * VIDEO_CLOCK) >>> 0, keyFrame: f.keyFrame, payloads, size };
    this.#gop.push(unit, f.keyFrame);
    if (f.keyFrame && this.#waiting.size > 0) {
      for (const v of this.#waiting) {
        this.#waiting.delete(v);
        this.#viewers.add(v);
        v.start([]);
      }
    }
    for (const v of this.#viewers) v.video(unit);
  }
}
