/** G.726 code words, packed either way (see g726-core.ts), to 8 kHz 16-bit PCM. */
import { G726Core } from './g726-core.js';
import type { G726Packing, G726Rate } from './g726-tables.js';

/** Packed code words to 8 kHz PCM, state and leftover bits carried from call to call. */
export class G726Decoder {
  readonly #core: G726Core;
  /** Bits left over between calls (a frame need not end on a code word). */
  #acc = 0;
  #accBits = 0;

  constructor(
    readonly rate: G726Rate = 32000,
    readonly packing: G726Packing = 'be',
  ) {
    this.#core = new G726Core(rate);
  }

  decode(data: Uint8Array): Int16Array {
    const bits = this.#core.t.bits;
    const out = new Int16Array(Math.floor((data.length * 8 + this.#accBits) / bits));
    let o = 0;
    for (const byte of data) {
      if (this.packing === 'le') {
        this.#acc |= byte << this.#accBits;
        this.#accBits += 8;
        while (this.#accBits >= bits) {
          out[o++] = this.#core.decodeCode(this.#acc & ((1 << bits) - 1));
          this.#acc >>= bits;
          this.#accBits -= bits;
        }
      } else {
        this.#acc = ((this.#acc << 8) | byte) & 0xffff;
        this.#accBits += 8;
        while (this.#accBits >= bits) {
          out[o++] = this.#core.decodeCode((this.#acc >> (this.#accBits - bits)) & ((1 << bits) - 1));
          this.#accBits -= bits;
        }
      }
    }
    return out.subarray(0, o);
  }
}
