/**
 * Bit-level reading of H.264/H.265 RBSPs: fixed-width fields, Exp-Golomb codes (H.264 §9.1,
 * H.265 §9.2) and emulation-prevention removal (H.264 §7.4.1, H.265 §7.4.2).
 */

export class BitstreamError extends Error {
  override readonly name = 'BitstreamError';
  readonly kind = 'bitstream';
  constructor(message: string, readonly context: string) {
    super(`${context}: ${message}`);
  }
}

/** NAL payload to RBSP: every `00 00 03` loses its 03 (the emulation-prevention byte). */
export function removeEmulationPrevention(nal: Uint8Array): Uint8Array {
  let zeros = 0;
  let found = -1;
  for (let i = 0; i < nal.length; i++) {
    const b = nal[i]!;
    if (zeros >= 2 && b === 3) {
      found = i;
      break;
    }
    zeros = b === 0 ? zeros + 1 : 0;
  }
  if (found < 0) return nal;
  const out = new Uint8Array(nal.length);
  let o = 0;
  zeros = 0;
  for (let i = 0; i < nal.length; i++) {
    const b = nal[i]!;
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    out[o++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, o);
}

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
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }
}
