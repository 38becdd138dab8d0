/**
 * Bit-level reading of H.264/H.265 RBSPs: fixed-width fields and Exp-Golomb codes (H.264 §9.1,
 * H.265 §9.2), most significant bit first.
 */
import { BitstreamError } from './bitstream-error.js';

export class BitReader {
  #pos = 0;
  readonly #bits: number;

  constructor(
    private readonly data: Uint8Array,
    private readonly context = 'bitstream',
  ) {
    this.#bits = data.length * 8;
  }

  get position(): number {
    return this.#pos;
  }

  get bitsLeft(): number {
    return this.#bits - this.#pos;
  }

  /** u(n), n <= 32. */
  u(n: number): number {
    if (n === 0) return 0;
    if (this.#pos + n > this.#bits) throw new BitstreamError(`read past the end (${n} bits at ${this.#pos} of ${this.#bits})`, this.context);
    let v = 0;
    for (let i = 0; i < n; i++) {
      const p = this.#pos++;
      v = v * 2 + ((this.data[p >> 3]! >> (7 - (p & 7))) & 1);
    }
    return v;
  }

  flag(): boolean {
    return this.u(1) === 1;
  }

  skip(n: number): void {
    if (this.#pos + n > this.#bits) throw new BitstreamError(`skip past the end (${n} bits at ${this.#pos})`, this.context);
    this.#pos += n;
  }

  /** ue(v): unsigned Exp-Golomb. */
  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) {
      if (++zeros > 31) throw new BitstreamError('Exp-Golomb code longer than 32 bits', this.context);
    }
    return zeros === 0 ? 0 : 2 ** zeros - 1 + this.u(zeros);
  }

  /** se(v): signed Exp-Golomb. */
  se(): number {
    const k = this.ue();
    // k = 0 is 0, not -0 (which would compare unequal under Object.is).
    return k % 2 === 1 ? (k + 1) / 2 : k === 0 ? 0 : -(k / 2);
  }
}
