/**
 * Device audio frames to RTP audio payloads in the format a WebRTC receiver negotiated: Opus
 * (RFC 7587: one 20 ms frame per packet, timestamps on a 48 kHz clock whatever the input rate,
 * §4.1), or PCMA/PCMU (RFC 3551 §4.5.14: 8 kHz, one device frame per packet). G.711 in its own
 * law passes through untouched; every other narrowband codec (G.711 of the other law, IMA
 * ADPCM, G.726) is decoded to PCM and encoded. AAC has no decoder here, so it cannot be carried.
 *
 * One encoder serves every viewer that negotiated its format: libopus and the G.726 decoder
 * carry state from frame to frame, so each stream and format is encoded once, not per viewer.
 */
import { AudioTranscoder, NarrowbandDecoder, isNarrowband, type AudioDecodeOptions } from '../audio/index.js';
import { encodeAlaw, encodeUlaw } from '../g711/index.js';
import { OPUS_CLOCK_RATE } from '../opus/index.js';

export type RtpAudioFormat = 'opus' | 'pcma' | 'pcmu';

export class RtpAudioUnsupported extends Error {
  override readonly name = 'RtpAudioUnsupported';
  readonly kind = 'rtp-audio-unsupported';
  constructor(readonly codec: string) {
    super(`audio codec ${codec} cannot be sent over RTP here (it has no decoder: only g711a, g711u, adpcm and g726 can)`);
  }
}

export interface RtpAudioPayload {
  /** On the format's RTP clock (48 kHz for Opus, 8 kHz for G.711), wrapped to 32 bits. */
  readonly rtpTimestamp: number;
  readonly payload: Uint8Array;
}

/** The RTP clock of each format (RFC 7587 §4.1; RFC 3551 table 4). */
export const RTP_AUDIO_CLOCK: Readonly<Record<RtpAudioFormat, number>> = { opus: OPUS_CLOCK_RATE, pcma: 8000, pcmu: 8000 };

export function canSendAsRtpAudio(codec: string): boolean {
  return isNarrowband(codec);
}

export class RtpAudioEncoder {
  readonly #passThrough: boolean;
  readonly #decoder: NarrowbandDecoder | undefined;
  readonly #opus: AudioTranscoder | undefined;
  /** The first frame's time on the output clock: Opus packets are timed from it by their samples. */
  #originTicks: number | undefined;

  constructor(
    readonly format: RtpAudioFormat,
    readonly sourceCodec: string,
    opts: AudioDecodeOptions = {},
  ) {
    if (!isNarrowband(sourceCodec)) throw new RtpAudioUnsupported(sourceCodec);
    this.#passThrough = (format === 'pcma' && sourceCodec === 'g711a') || (format === 'pcmu' && sourceCodec === 'g711u');
    if (format === 'opus') this.#opus = new AudioTranscoder(sourceCodec, opts);
    else if (!this.#passThrough) this.#decoder = new NarrowbandDecoder(sourceCodec, opts);
  }

  /** Forward jumps of the Opus sample clock to the device's (audio lost upstream). */
  get resyncs(): number {
    return this.#opus?.resyncs ?? 0;
  }

  /**
   * The payloads one device frame (`timestamp` in ms, monotonic) makes: G.711 one, Opus as many
   * 20 ms frames as it completes (none while a frame fills). Throws on a frame that does not decode.
   */
  push(frame: { readonly data: Uint8Array; readonly timestamp: number }): RtpAudioPayload[] {
    const clock = RTP_AUDIO_CLOCK[this.format];
    if (this.#passThrough) return [{ rtpTimestamp: (frame.timestamp * (clock / 1000)) >>> 0, payload: frame.data }];
    if (this.#decoder) {
      const pcm = this.#decoder.decode(frame.data, frame.timestamp);
      const payload = this.format === 'pcma' ? encodeAlaw(pcm) : encodeUlaw(pcm);
      return [{ rtpTimestamp: (frame.timestamp * (clock / 1000)) >>> 0, payload }];
    }
    const packets = this.#opus!.push(frame);
    this.#originTicks ??= frame.timestamp * (clock / 1000);
    const origin = this.#originTicks;
    return packets.map((p) => ({ rtpTimestamp: (origin + p.time) >>> 0, payload: p.data }));
  }
}
