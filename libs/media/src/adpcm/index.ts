/**
 * IMA ADPCM in the DVI4 block layout (RFC 3551 §4.5.1), which JT1078 devices send as payload
 * type 26: a 4-byte state header — the predicted sample (16 bits), the step index (8 bits), a
 * reserved byte — then 4-bit codes, the first sample in the high nibble. HiSilicon encoders put
 * their own `00 01 LL 00` before that; it is removed when present.
 *
 * Byte order of the predictor: RFC 3551 says network order, but devices write it little-endian
 * (a HiSilicon capture reads `56 fa 23 00` = −1450, index 35: read so, the last sample of every
 * block equals the next block's predictor and the index carries on; read big-endian, every
 * boundary misses and the output is a 25 Hz buzz). 'le' is the default; 'be' for a device that
 * follows the RFC (`jt1078.audio.adpcm_byte_order`).
 */

export class AdpcmError extends Error {
  override readonly name = 'AdpcmError';
  readonly kind = 'adpcm';
}

const INDEX_TABLE = [-1, -1, -1, -1, 2, 4, 6, 8, -1, -1, -1, -1, 2, 4, 6, 8];
const STEP_TABLE = [
  7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 19, 21, 23, 25, 28, 31, 34, 37, 41, 45, 50, 55, 60, 66, 73, 80, 88, 97, 107, 118, 130, 143, 157,
  173, 190, 209, 230, 253, 279, 307, 337, 371, 408, 449, 494, 544, 598, 658, 724, 796, 876, 963, 1060, 1166, 1282, 1411, 1552, 1707,
  1878, 2066, 2272, 2499, 2749, 3024, 3327, 3660, 4026, 4428, 4871, 5358, 5894, 6484, 7132, 7845, 8630, 9493, 10442, 11487, 12635,
  13899, 15289, 16818, 18500, 20350, 22385, 24623, 27086, 29794, 32767,
];

const clamp16 = (v: number) => (v > 32767 ? 32767 : v < -32768 ? -32768 : v);
const clampIndex = (i: number) => (i < 0 ? 0 : i > 88 ? 88 : i);

/** Removes a HiSilicon `00 01 LL 00` header (LL = payload bytes / 2) when the body has one. */
export function stripHisiliconHeader(body: Uint8Array): Uint8Array {
  if (body.length > 4 && body[0] === 0 && body[1] === 1 && body[3] === 0 && body[2]! * 2 === body.length - 4) return body.subarray(4);
  return body;
}

export type AdpcmByteOrder = 'le' | 'be';

/** The state a DVI4 block starts from: its header's predictor and step index. */
export function dvi4BlockState(block: Uint8Array, byteOrder: AdpcmByteOrder = 'le'): { predictor: number; index: number } {
  const data = stripHisiliconHeader(block);
  if (data.length < 4) throw new AdpcmError(`DVI4 block of ${data.length} bytes is shorter than its header`);
  const raw = byteOrder === 'le' ? data[0]! | (data[1]! << 8) : (data[0]! << 8) | data[1]!;
  return { predictor: (raw << 16) >> 16, index: data[2]! };
}

/** Decodes one DVI4 block (header + codes) to 2·(length - 4) samples. */
export function decodeDvi4(block: Uint8Array, byteOrder: AdpcmByteOrder = 'le'): Int16Array {
  return decodeDvi4Block(block, byteOrder).samples;
}

/**
 * A block decoded, with the state it ends in: a device's encoder carries that state into the
 * next block, whose header repeats it (the predictor is the last sample, the index carries on).
 */
export function decodeDvi4Block(block: Uint8Array, byteOrder: AdpcmByteOrder = 'le'): { samples: Int16Array; endIndex: number } {
  const data = stripHisiliconHeader(block);
  if (data.length < 5) throw new AdpcmError(`DVI4 block of ${data.length} bytes is shorter than its header`);
  const start = dvi4BlockState(data, byteOrder);
  let predictor = start.predictor;
  let index = clampIndex(start.index);
  const out = new Int16Array((data.length - 4) * 2);
  let o = 0;
  for (let i = 4; i < data.length; i++) {
    for (const code of [data[i]! >> 4, data[i]! & 0x0f]) {
      const step = STEP_TABLE[index]!;
      let diff = step >> 3;
      if (code & 4) diff += step;
      if (code & 2) diff += step >> 1;
      if (code & 1) diff += step >> 2;
      predictor = clamp16(code & 8 ? predictor - diff : predictor + diff);
      index = clampIndex(index + INDEX_TABLE[code]!);
      out[o++] = predictor;
    }
  }
  return { samples: out, endIndex: index };
}

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
      this.#predictor = clamp16(code & 8 ? this.#predictor - vpdiff : this.#predictor + vpdiff);
      this.#index = clampIndex(this.#index + INDEX_TABLE[code]!);
      const byte = 4 + (i >> 1);
      out[byte] = i % 2 === 0 ? code << 4 : out[byte]! | code;
    }
    return out;
  }
}
