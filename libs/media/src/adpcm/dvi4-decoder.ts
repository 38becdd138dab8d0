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
import { AdpcmError } from './adpcm-error.js';
import { stripHisiliconHeader } from './hisilicon-header.js';
import { INDEX_TABLE, STEP_TABLE, clampIndex, clampSample } from './ima-tables.js';

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
      predictor = clampSample(code & 8 ? predictor - diff : predictor + diff);
      index = clampIndex(index + INDEX_TABLE[code]!);
      out[o++] = predictor;
    }
  }
  return { samples: out, endIndex: index };
}
