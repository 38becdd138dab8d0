/** PCM to Opus in 20 ms frames on the 48 kHz clock (RFC 7845), for fMP4 audio browsers play. */
import { OpusEncoder } from './libopus-binding.js';

/** Opus timestamps count 48 kHz samples whatever the input rate (RFC 7845 §4). */
export const OPUS_CLOCK_RATE = 48000;

/**
 * libopus's encoder delay for the default (AUDIO) application: 2.5 ms of analysis plus 4 ms of
 * delay compensation = 6.5 ms = 312 samples at 48 kHz. The binding cannot query it
 * (OPUS_GET_LOOKAHEAD), so it is the documented constant; it becomes the OpusHead/dOps pre-skip.
 */
export const OPUS_PRE_SKIP = 312;

/** 20 ms frames: the size every WebRTC and most device audio paths use. */
export const OPUS_FRAME_MS = 20;

export interface OpusPacket {
  readonly data: Uint8Array;
  /** Start of the packet on the 48 kHz clock, counted from the stream's first sample. */
  readonly time48k: number;
  readonly duration48k: number;
}

/**
 * Buffers PCM into 20 ms frames and encodes each. Voice at 8 kHz is coded at 16 kbit/s
 * (Opus's narrowband sweet spot); other rates at 32 kbit/s.
 */
export class OpusFrameEncoder {
  readonly #encoder: InstanceType<typeof OpusEncoder>;
  readonly #frameSamples: number;
  readonly #pending: Int16Array;
  #pendingLength = 0;
  #samplesOut = 0;

  constructor(readonly sampleRate: 8000 | 16000 | 48000) {
    this.#encoder = new OpusEncoder(sampleRate, 1);
    this.#encoder.setBitrate(sampleRate === 8000 ? 16000 : 32000);
    this.#frameSamples = (sampleRate * OPUS_FRAME_MS) / 1000;
    this.#pending = new Int16Array(this.#frameSamples);
  }

  /** Encodes what completes 20 ms frames; the rest waits for the next call. */
  push(pcm: Int16Array): OpusPacket[] {
    const out: OpusPacket[] = [];
    let i = 0;
    while (i < pcm.length) {
      const take = Math.min(this.#frameSamples - this.#pendingLength, pcm.length - i);
      this.#pending.set(pcm.subarray(i, i + take), this.#pendingLength);
      this.#pendingLength += take;
      i += take;
      if (this.#pendingLength === this.#frameSamples) {
        const data = this.#encoder.encode(Buffer.from(this.#pending.buffer, this.#pending.byteOffset, this.#pending.byteLength));
        const scale = OPUS_CLOCK_RATE / this.sampleRate;
        out.push({ data: new Uint8Array(data), time48k: this.#samplesOut * scale, duration48k: this.#frameSamples * scale });
        this.#samplesOut += this.#frameSamples;
        this.#pendingLength = 0;
      }
    }
    return out;
  }

  /** Samples (at the input rate) waiting for a full frame. */
  get pendingSamples(): number {
    return this.#pendingLength;
  }
}
