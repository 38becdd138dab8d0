/** 8 kHz 16-bit PCM to G.726 code words, packed either way (see g726-core.ts). */
import { G726Core } from './g726-core.js';
import type { G726Packing, G726Rate } from './g726-tables.js';

/** 8 kHz PCM to packed code words (talk down to a device that speaks G.726). */
export class G726Encoder {
  readonly #core: G726Core;
  #acc = 0;
  #accBits = 0;

  constructor(
    readonly rate: G726Rate = 32000,
    readonly packing: G726Packing = 'be',
  ) {
    this.#core = new G726Core(rate);
  }

  /** Whole bytes only: a code word that does not fill its byte waits for the next call. */
  encode(pcm: Int16Array): Uint8Array {
    const bits = this.#core.t.bits;
    const out = new Uint8Array(Math.floor((pcm.length * bits + this.#accBits) / 8));
    let o = 0;
    for (const sample of pcm) {
      const code = this.#core.quantize(sample);
      this.#core.decodeCode(code);
      if (this.packing === 'le') {
        this.#acc |= code << this.#accBits;
        this.#accBits += bits;
        while (this.#accBits >= 8) {
          out[o++] = this.#acc & 0xff;
          this.#acc >>= 8;
          this.#accBits -= 8;
        }
      } else {
        this.#acc = ((this.#acc << bits) | code) & 0xffff;
        this.#accBits += bits;
        while (this.#accBits >= 8) {
          out[o++] = (this.#acc >> (this.#accBits - 8)) & 0xff;
          this.#accBits -= 8;
        }
      }
    }
    return out.subarray(0, o);
  }
}
