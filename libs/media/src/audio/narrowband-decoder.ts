/**
 * Device narrowband audio (G.711 A/µ, IMA ADPCM, G.726; 8 kHz) to PCM, with what the stream
 * does not say made explicit: the ADPCM header's byte order (little-endian on devices) and
 * G.726's rate (read from the stream unless pinned) and bit packing (AAL2 unless pinned). The
 * packager, `jt1078 package` and the intercom's uplink share it, so a device decodes the same
 * everywhere.
 */
import { decodeDvi4, type AdpcmByteOrder } from '../adpcm/dvi4-decoder.js';
import { stripHisiliconHeader } from '../adpcm/hisilicon-header.js';
import { decodeAlaw } from '../g711/alaw.js';
import { decodeUlaw } from '../g711/mulaw.js';
import { G726Decoder } from '../g726/g726-decoder.js';
import { G726StreamRate } from '../g726/g726-stream-rate.js';
import type { G726Packing, G726Rate } from '../g726/g726-tables.js';

/** How a device's audio is to be read where the stream does not say (`jt1078.audio`). */
export interface AudioDecodeOptions {
  /** DVI4 header predictor: 'le' (devices; the default) or 'be' (RFC 3551's order). */
  readonly adpcmByteOrder?: AdpcmByteOrder;
  /** G.726 rate pinned; by default it is found from the stream (G726StreamRate). */
  readonly g726Rate?: G726Rate;
  /** G.726 bit packing: 'be' = AAL2, MSB first (the default); 'le' = RFC 3551, LSB first. */
  readonly g726Packing?: G726Packing;
}

export type NarrowbandCodec = 'g711a' | 'g711u' | 'adpcm' | 'g726';

export function isNarrowband(codec: string): codec is NarrowbandCodec {
  return codec === 'g711a' || codec === 'g711u' || codec === 'adpcm' || codec === 'g726';
}

export class NarrowbandDecoder {
  readonly #rate: G726StreamRate | undefined;
  #g726: G726Decoder | undefined;
  /** The rate of the frame `samplesOf` looked at, which `decode` then takes. */
  #observed: G726Rate | undefined;

  constructor(
    readonly codec: NarrowbandCodec,
    private readonly opts: AudioDecodeOptions = {},
  ) {
    if (codec === 'g726') this.#rate = new G726StreamRate(opts.g726Rate);
  }

  /** The G.726 rate in use (undefined before the first frame, and for other codecs). */
  get g726Rate(): G726Rate | undefined {
    return this.#rate?.rate;
  }

  /** Samples a frame holds (8 kHz), without decoding it; G.726 learns its rate from it. */
  samplesOf(data: Uint8Array, timestampMs: number): number {
    switch (this.codec) {
      case 'g711a':
      case 'g711u':
        return data.length;
      case 'adpcm':
        return Math.max(0, stripHisiliconHeader(data).length - 4) * 2;
      default: {
        const payload = stripHisiliconHeader(data);
        this.#observed = this.#rate!.observe(payload.length, timestampMs);
        return Math.floor((payload.length * 8) / (this.#observed / 8000));
      }
    }
  }

  /**
   * PCM of one frame. `timestampMs` (the device's) feeds G.726's rate unless `samplesOf` saw the
   * frame first; without it (a frame decoded again, as a pre-roll) the rate is left as it is.
   */
  decode(data: Uint8Array, timestampMs?: number): Int16Array {
    switch (this.codec) {
      case 'g711a':
        return decodeAlaw(data);
      case 'g711u':
        return decodeUlaw(data);
      case 'adpcm':
        return decodeDvi4(data, this.opts.adpcmByteOrder ?? 'le');
      default: {
        const payload = stripHisiliconHeader(data);
        const known = timestampMs === undefined ? this.#rate!.rate : undefined;
        const rate = this.#observed ?? known ?? this.#rate!.observe(payload.length, timestampMs ?? 0);
        this.#observed = undefined;
        // A new estimate starts the decoder over: state built at another rate means nothing.
        if (this.#g726?.rate !== rate) this.#g726 = new G726Decoder(rate, this.opts.g726Packing ?? 'be');
        return this.#g726.decode(payload);
      }
    }
  }

  /** Fresh codec state (the packager's epochs); what was learnt of the stream stays. */
  reset(): void {
    this.#g726 = undefined;
  }
}
