/**
 * Talk down in the device's own codec. A device that sends IMA ADPCM or G.726 up its audio
 * port plays that codec, not necessarily G.711: browser audio (G.711 A/µ from WebRTC) is
 * decoded and re-encoded to what the device sends, the same way the device's audio is read
 * (`jt1078.audio`: ADPCM byte order, G.726 packing; G.726 at the rate the device's own frames
 * show, unless pinned), with the HiSilicon header when the device uses one. G.711 devices, and
 * audio not in G.711 (G.722 has no decoder here), get the browser's audio as it is.
 */
import type { TalkAudio } from '@jt1078/bus';
import { Dvi4Encoder, stripHisiliconHeader } from '@jt1078/media/adpcm';
import type { AudioDecodeOptions } from '@jt1078/media/audio';
import { decodeAlaw, decodeUlaw } from '@jt1078/media/g711';
import { G726Encoder, G726StreamRate } from '@jt1078/media/g726';

/** The HiSilicon header's LL byte counts 16-bit words: at most 255 of them. */
const MAX_HISILICON_PAYLOAD = 510;

export class TalkDownCodec {
  #deviceCodec: 'adpcm' | 'g726' | undefined;
  #hisilicon = false;
  readonly #rate: G726StreamRate;
  #adpcm: Dvi4Encoder | undefined;
  #g726: G726Encoder | undefined;

  constructor(private readonly opts: AudioDecodeOptions = {}) {
    this.#rate = new G726StreamRate(opts.g726Rate);
  }

  /** The codec audio goes down in: the device's, once it has sent ADPCM or G.726. */
  get codec(): 'adpcm' | 'g726' | undefined {
    return this.#deviceCodec;
  }

  /** A frame the device sent up (HiSilicon header removed), with its own timestamp (ms). */
  deviceSent(frame: { readonly codec: string | undefined; readonly data: Uint8Array; readonly timestamp: number | undefined; readonly hisilicon: boolean }): void {
    this.#hisilicon = frame.hisilicon;
    if (frame.codec === 'adpcm') {
      this.#deviceCodec = 'adpcm';
    } else if (frame.codec === 'g726') {
      this.#deviceCodec = 'g726';
      if (frame.timestamp !== undefined) this.#rate.observe(stripHisiliconHeader(frame.data).length, frame.timestamp);
    } else {
      this.#deviceCodec = undefined;
    }
  }

  /** Browser audio as the device plays it. */
  convert(audio: TalkAudio): TalkAudio {
    const codec = this.#deviceCodec;
    if (!codec || (audio.codec !== 'g711a' && audio.codec !== 'g711u')) return audio;
    const pcm = audio.codec === 'g711a' ? decodeAlaw(audio.data) : decodeUlaw(audio.data);
    let data: Uint8Array;
    if (codec === 'adpcm') {
      // A DVI4 block holds two samples a byte: an odd last sample waits for no one, it is left out.
      this.#adpcm ??= new Dvi4Encoder(this.opts.adpcmByteOrder ?? 'le');
      data = this.#adpcm.encode(pcm.length % 2 === 0 ? pcm : pcm.subarray(0, pcm.length - 1));
    } else {
      const rate = this.#rate.rate ?? 32000;
      // Only before the rate settles can it change: the encoder starts over at the new one.
      if (this.#g726?.rate !== rate) this.#g726 = new G726Encoder(rate, this.opts.g726Packing ?? 'be');
      data = this.#g726.encode(pcm);
    }
    if (this.#hisilicon && data.length % 2 === 0 && data.length <= MAX_HISILICON_PAYLOAD) data = Uint8Array.from([0x00, 0x01, data.length / 2, 0x00, ...data]);
    return { ...audio, codec, data };
  }
}
