/**
 * 16-bit PCM to IMA ADPCM DVI4 blocks (talk down to a device that speaks ADPCM): the header
 * carries the state the block starts from, its predictor in the byte order the device reads
 * (little-endian by default, as devices write it; see dvi4-decoder.ts).
 */
import { AdpcmError } from './adpcm-error.js';
import type { AdpcmByteOrder } from './dvi4-decoder.js';
import { INDEX_TABLE, STEP_TABLE, clampIndex, clampSample } from './ima-tables.js';

/** Encoder state carried across blocks, as a device keeps it. */
export class Dvi4Encoder {
  #predictor = 0;
  #index = 0;

  constructor(readonly byteOrder: AdpcmByteOrder = 'le') {}

  /** Encodes an even number of samples as one DVI4 block. */
  encode(pcm: Int16Array): Uint8Array {
    if (pcm.length % 2 !== 0) throw new AdpcmError('DVI4 blocks hold an even number of samples');
    const out = new Uint8Array(4 + pcm.length / 2);
    const hi = (this.#predictor >> 8) & 0xff;
    const lo = this.#predictor & 0xff;
    out[0] = this.byteOrder === 'le' ? lo : hi;
    out[1] = this.byteOrder === 'le' ? hi : lo;
    out[2] = this.#index;
    for (let i = 0; i < pcm.length; i++) {
      const step = STEP_TABLE[this.#index]!;
      let diff = pcm[i]! - this.#predictor;
      let code = 0;
      if (diff < 0) {
        code = 8;
        diff = -diff;
      }
      let vpdiff = step >> 3;
      if (diff >= step) {
        code |= 4;
        diff -= step;
        vpdiff += step;
      }
      if (diff >= step >> 1) {
        code |= 2;
        diff -= step >> 1;
        vpdiff += step >> 1;
      }
      if (diff >= step >> 2) {
        code |= 1;
        vpdiff += step >> 2;
      }
      this.#predictor = clampSample(code & 8 ? this.#predictor - vpdiff : this.#predictor + vpdiff);
      this.#index = clampIndex(this.#index + INDEX_TABLE[code]!);
      const byte = 4 + (i >> 1);
      out[byte] = i % 2 === 0 ? code << 4 : out[byte]! | code;
    }
    return out;
  }
}
