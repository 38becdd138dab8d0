/**
 * The bridge from device audio to muxer-ready audio: G.711 A/µ, G.726 and IMA ADPCM are decoded and
 * re-encoded as Opus (browsers play it in fMP4; they do not play G.711 there), AAC is passed
 * through. Output time is counted in samples, so it is monotonic whatever the device's
 * timestamps do; a device timestamp far ahead of the sample clock (audio lost upstream) moves
 * the clock forward, counted as a resync, so audio stays with its video.
 */
import { parseAdts } from '../aac/adts.js';
import { audioSpecificConfig } from '../aac/audio-specific-config.js';
import type { AudioCodec } from '../codec/index.js';
import { NarrowbandDecoder, type AudioDecodeOptions } from './narrowband-decoder.js';
import { OPUS_CLOCK_RATE, OPUS_FRAME_MS, OPUS_PRE_SKIP, OpusFrameEncoder } from '../opus/opus-frame-encoder.js';

export class AudioCodecUnsupported extends Error {
  override readonly name = 'AudioCodecUnsupported';
  readonly kind = 'audio-codec-unsupported';
  constructor(readonly codec: string) {
    super(`audio codec ${codec} cannot be packaged (supported: g711a, g711u, g726, adpcm, aac)`);
  }
}

/** A device timestamp this far ahead of the sample clock means audio was lost: jump forward. */
export const AUDIO_RESYNC_MS = 1000;

export interface MuxAudioTrack {
  readonly codec: 'opus' | 'aac';
  readonly sampleRate: number;
  readonly channels: number;
  /** Opus: pre-skip in 48 kHz samples. */
  readonly preSkip?: number;
  /** Opus: the rate before encoding. */
  readonly inputSampleRate?: number;
  /** AAC: the AudioSpecificConfig. */
  readonly audioSpecificConfig?: Uint8Array;
}

export interface MuxAudioSample {
  readonly data: Uint8Array;
  /** Decode time in the track's timescale (its sample rate), from the stream's start. */
  readonly time: number;
  readonly duration: number;
}

export function canTranscode(codec: string): codec is 'g711a' | 'g711u' | 'g726' | 'adpcm' | 'aac' {
  return codec === 'g711a' || codec === 'g711u' || codec === 'g726' || codec === 'adpcm' || codec === 'aac';
}

/** What the stream does not say about its audio (see AudioDecodeOptions). */
export type AudioTranscoderOptions = AudioDecodeOptions;

/**
 * Device audio frames to muxer-ready samples, in epochs: `restart()` begins a new one with fresh
 * decoder and encoder state, primed by decoding and encoding `preRoll` (the frames just before,
 * output discarded). Samples are timed from the epoch's first frame. The packager restarts at
 * every segment, with the same pre-roll on every replica, so each segment's audio bytes depend
 * only on the frames around it — libopus and the G.726 decoder carry state from frame to frame,
 * and two encoders that started at different frames do not produce the same bytes.
 */
export class AudioTranscoder {
  #opus: OpusFrameEncoder | undefined;
  #track: MuxAudioTrack | undefined;
  /** The epoch's first device timestamp (ms). */
  #originMs: number | undefined;
  /** Forward jumps of the sample clock (track timescale units) since the epoch began. */
  #offset = 0;
  /** Input samples (at the input rate) since the epoch began. */
  #inputSamples = 0;
  /** Encoder output time (48 kHz) at the epoch's start: what the pre-roll took. */
  #epochStart48k = 0;
  resyncs = 0;
  /** Input samples left in the encoder (under one 20 ms frame) when an epoch ended. */
  discardedSamples = 0;

  readonly #decoder: NarrowbandDecoder | undefined;

  constructor(
    readonly codec: AudioCodec,
    opts: AudioTranscoderOptions = {},
  ) {
    if (!canTranscode(codec)) throw new AudioCodecUnsupported(codec);
    this.#decoder = codec === 'aac' ? undefined : new NarrowbandDecoder(codec, opts);
  }

  /**
   * Input samples (at the input rate) a frame holds, before it is pushed: what `jt1078 package`
   * times audio by. G.726 learns its rate from the device timestamp given here. AAC: 1024 a
   * frame (AAC-LC), at the frame's own rate.
   */
  samplesOf(data: Uint8Array, deviceTimestampMs: number): { samples: number; rate: number } {
    if (!this.#decoder) {
      const frames = parseAdts(data);
      return { samples: frames.length * 1024, rate: frames[0]?.sampleRate ?? 8000 };
    }
    return { samples: this.#decoder.samplesOf(data, deviceTimestampMs), rate: 8000 };
  }

  /** Known once the first frame has been seen. */
  get track(): MuxAudioTrack | undefined {
    return this.#track;
  }

  /**
   * Ends the epoch and begins another: fresh codec state, primed with `preRoll` (oldest first).
   * The pre-roll is cut at its start to whole 20 ms frames, so the epoch's first output frame
   * holds only the epoch's own audio.
   */
  restart(preRoll: readonly { readonly data: Uint8Array }[] = []): void {
    this.discardedSamples += this.#opus?.pendingSamples ?? 0;
    this.#opus = undefined;
    this.#decoder?.reset();
    this.#originMs = undefined;
    this.#offset = 0;
    this.#inputSamples = 0;
    this.#epochStart48k = 0;
    if (this.codec === 'aac' || preRoll.length === 0) return;
    // A pre-roll frame that does not decode (the packager keeps frames before it starts) primes nothing.
    const pcm = preRoll.flatMap((f) => {
      try {
        return [this.#decoder!.decode(f.data)];
      } catch {
        return [];
      }
    });
    const total = pcm.reduce((n, p) => n + p.length, 0);
    const frame = (8000 * OPUS_FRAME_MS) / 1000;
    let skip = total % frame;
    this.#opus = new OpusFrameEncoder(8000);
    for (const p of pcm) {
      const use = skip >= p.length ? p.subarray(p.length) : p.subarray(skip);
      skip = Math.max(0, skip - p.length);
      this.#opus.push(use);
    }
    this.#epochStart48k = (total - (total % frame)) * (OPUS_CLOCK_RATE / 8000);
  }

  push(frame: { readonly data: Uint8Array; readonly timestamp: number }): MuxAudioSample[] {
    if (this.codec === 'aac') return this.#pushAac(frame);
    const pcm = this.#decoder!.decode(frame.data, frame.timestamp);
    this.#opus ??= new OpusFrameEncoder(8000);
    this.#track ??= { codec: 'opus', sampleRate: OPUS_CLOCK_RATE, channels: 1, preSkip: OPUS_PRE_SKIP, inputSampleRate: 8000 };
    this.#anchor(frame.timestamp, 8000);
    this.#inputSamples += pcm.length;
    return this.#opus.push(pcm).map((p) => ({ data: p.data, time: p.time48k - this.#epochStart48k + this.#offset, duration: p.duration48k }));
  }

  #pushAac(frame: { readonly data: Uint8Array; readonly timestamp: number }): MuxAudioSample[] {
    const frames = parseAdts(frame.data);
    const first = frames[0];
    if (!first) return [];
    this.#track ??= { codec: 'aac', sampleRate: first.sampleRate, channels: first.channelConfig, audioSpecificConfig: audioSpecificConfig(first) };
    this.#anchor(frame.timestamp, first.sampleRate);
    return frames.map((f) => {
      const time = this.#inputSamples + this.#offset;
      this.#inputSamples += 1024; // AAC-LC: 1024 samples per frame
      return { data: f.payload, time, duration: 1024 };
    });
  }

  /** Moves the sample clock forward when the device says much more time has passed. */
  #anchor(timestampMs: number, inputRate: number): void {
    this.#originMs ??= timestampMs;
    const scale = (this.#track?.sampleRate ?? inputRate) / inputRate;
    const clockMs = (this.#inputSamples * 1000) / inputRate + (this.#offset / scale) * (1000 / inputRate);
    const deviceMs = timestampMs - this.#originMs;
    if (deviceMs - clockMs > AUDIO_RESYNC_MS) {
      this.#offset += Math.round(((deviceMs - clockMs) * inputRate) / 1000) * scale;
      this.resyncs++;
    }
  }
}
