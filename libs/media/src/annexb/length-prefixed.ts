/**
 * Length-prefixed NAL units, the sample format of ISO/IEC 14496-15 (§5.3.2 for AVC, §8.3.2 for
 * HEVC) with lengthSizeMinusOne = 3: each NAL unit follows its size as a 32-bit big-endian
 * number. The counterpart of Annex-B's start codes inside MP4 and FLV samples.
 */

/** Prefixes each NAL unit with its 4-byte length. */
export function lengthPrefixed(units: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const u of units) size += 4 + u.length;
  const out = new Uint8Array(size);
  let o = 0;
  for (const u of units) {
    out[o] = u.length >>> 24;
    out[o + 1] = (u.length >>> 16) & 0xff;
    out[o + 2] = (u.length >>> 8) & 0xff;
    out[o + 3] = u.length & 0xff;
    out.set(u, o + 4);
    o += 4 + u.length;
  }
  return out;
}

export class LengthPrefixedError extends Error {
  override readonly name = 'LengthPrefixedError';
  readonly kind = 'length-prefixed';
}

/**
 * The NAL units of a length-prefixed sample, as views into `sample`. A length that runs past
 * the end is an error, not a shorter unit: a sample is whole or it is broken.
 */
export function splitLengthPrefixed(sample: Uint8Array): Uint8Array[] {
  const units: Uint8Array[] = [];
  let o = 0;
  while (o < sample.length) {
    if (o + 4 > sample.length) throw new LengthPrefixedError(`${sample.length - o} bytes left where a 4-byte length belongs`);
    const len = ((sample[o]! << 24) | (sample[o + 1]! << 16) | (sample[o + 2]! << 8) | sample[o + 3]!) >>> 0;
    o += 4;
    if (o + len > sample.length) throw new LengthPrefixedError(`a NAL unit of ${len} bytes runs past the sample's end (${sample.length - o} left)`);
    units.push(sample.subarray(o, o + len));
    o += len;
  }
  return units;
}
