/**
 * Device audio (talk frames from `media.talk.<sim>.<channel>`, raw as the device sent it) to
 * the RTP packets a browser plays, for one talk session. The codecs are the answer's audio
 * codecs, the negotiated one first (webrtc-offer-sdp.ts puts it there):
 *
 * - audio already in the negotiated codec passes through untouched;
 * - G.711A/µ, IMA ADPCM (DVI4) and G.726 are decoded to 8 kHz PCM and encoded to the
 *   negotiated G.711 law;
 * - on a G.722 talk, where there is no G.722 encoder to convert to, decoded audio goes out as
 *   G.711A under its own payload type when the answer lists PCMA too (a receiver decodes every
 *   payload type its answer negotiated, RFC 3264 §5.1), and is dropped otherwise.
 *
 * Packets carry at most 20 ms (the ptime browsers default to, RFC 4566 §6), so a device's 40 or
 * 80 ms frames become two or four packets. RTP time is a sample clock: it advances by what was
 * sent, and jumps forward with the device's own timestamps when the device paused, with the marker bit set on the packet after the pause (RFC 3551 §4.1).
 */
import { NarrowbandDecoder, isNarrowband, type AudioDecodeOptions } from '@jt1078/media/audio';
import { encodeAlaw, encodeUlaw } from '@jt1078/media/g711';
import { RTP_CLOCK_RATE, type TalkCodec } from './webrtc-talk-codec.js';

export const UplinkDrop = {
  /** A codec that cannot become one the answer negotiated (G.722 to G.711, AAC, MP3 …). */
  codecUnsupported: 'codec-unsupported',
  /** The device's bytes do not decode (an ADPCM block shorter than its header …). */
  undecodable: 'undecodable',
  empty: 'empty',
} as const;
export type UplinkDrop = (typeof UplinkDrop)[keyof typeof UplinkDrop];

export interface UplinkPacket {
  /** The codec (and so the payload type) this payload is in. */
  readonly codec: TalkCodec;
  readonly payload: Uint8Array;
  /** RTP timestamp, 8000 Hz, modulo 2^32. */
  readonly timestamp: number;
  readonly marker: boolean;
}

export interface DeviceAudio {
  readonly codec: string;
  readonly data: Uint8Array;
  /** ms, as the talk frame carries it. */
  readonly timestamp: number;
}

/** RTP ticks (and, at 8000 Hz, G.711 bytes or G.722 bytes) in one 20 ms packet. */
const PACKET_TICKS = 160;
const TICKS_PER_MS = RTP_CLOCK_RATE / 1000;
/**
 * A device frame this far after the sample clock's end means the device paused. Talk frames are
 * timed by arrival, so the bound is above network jitter: smaller, and every late arrival would
 * push the clock ahead for good.
 */
const PAUSE_MS = 200;

export class UplinkPacketizer {
  readonly #negotiated: TalkCodec;
  readonly #fallback: TalkCodec | undefined;
  #decoder: NarrowbandDecoder | undefined;
  /** Ticks sent (plus pauses), from the first frame. */
  #ticks = 0;
  #originMs: number | undefined;
  readonly #startTimestamp: number;

  /** `codecs`: the answer's talk codecs, negotiated first. `startTimestamp`: the RTP timestamp of the first packet (random, RFC 3550 §5.1). */
  constructor(
    codecs: readonly TalkCodec[],
    startTimestamp = 0,
    /** How the device's audio is read (`jt1078.audio`: ADPCM byte order, G.726 rate and packing). */
    private readonly audio: AudioDecodeOptions = {},
  ) {
    const negotiated = codecs[0];
    if (!negotiated) throw new Error('UplinkPacketizer needs the negotiated codec');
    this.#negotiated = negotiated;
    this.#fallback = negotiated.codec === 'g722' ? codecs.find((c) => c.codec === 'g711a') : undefined;
    this.#startTimestamp = startTimestamp >>> 0;
  }

  push(frame: DeviceAudio): UplinkPacket[] | UplinkDrop {
    if (frame.data.length === 0) return UplinkDrop.empty;
    let codec: TalkCodec;
    let payload: Uint8Array;
    if (frame.codec === this.#negotiated.codec) {
      codec = this.#negotiated;
      payload = frame.data;
    } else {
      const target = this.#negotiated.codec === 'g722' ? this.#fallback : this.#negotiated;
      if (!target) return UplinkDrop.codecUnsupported;
      let pcm: Int16Array | undefined;
      try {
        pcm = this.#decode(frame);
      } catch {
        return UplinkDrop.undecodable;
      }
      if (!pcm) return UplinkDrop.codecUnsupported;
      if (pcm.length === 0) return UplinkDrop.empty;
      codec = target;
      payload = target.codec === 'g711a' ? encodeAlaw(pcm) : encodeUlaw(pcm);
    }
    // Every talk codec here is one byte per RTP tick (G.711: 8 bits a sample at 8 kHz; G.722:
    // 64 kbit/s on its 8000 Hz clock), so bytes and ticks are the same count.
    let marker = false;
    this.#originMs ??= frame.timestamp;
    const pauseMs = frame.timestamp - this.#originMs - this.#ticks / TICKS_PER_MS;
    if (this.#ticks > 0 && pauseMs > PAUSE_MS) {
      this.#ticks += Math.round(pauseMs * TICKS_PER_MS);
      marker = true;
    }
    const packets: UplinkPacket[] = [];
    for (let at = 0; at < payload.length; at += PACKET_TICKS) {
      const piece = payload.subarray(at, at + PACKET_TICKS);
      packets.push({ codec, payload: piece, timestamp: (this.#startTimestamp + this.#ticks) % 0x1_0000_0000, marker: marker && at === 0 });
      this.#ticks += piece.length;
    }
    return packets;
  }

  /** 8 kHz PCM, or undefined for a codec with no decoder here. */
  #decode(frame: DeviceAudio): Int16Array | undefined {
    if (!isNarrowband(frame.codec)) return undefined;
    // One device talks per session: a codec change (a new connection) starts a fresh decoder.
    if (this.#decoder?.codec !== frame.codec) this.#decoder = new NarrowbandDecoder(frame.codec, this.audio);
    // G.726's rate comes from the talk frames' spacing (by arrival, as the intercom stamps them).
    return this.#decoder.decode(frame.data, frame.timestamp);
  }
}
