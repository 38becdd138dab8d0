import { h264NalType } from '../annexb/nal-unit-type.js';
import { lengthPrefixed } from '../annexb/length-prefixed.js';
import { H264NalType } from './nal-unit-type.js';

/** Drops AUD and parameter sets (they belong in the sample entry) and prefixes 4-byte lengths. */
export function h264Sample(units: readonly Uint8Array[]): Uint8Array {
  return lengthPrefixed(units.filter((u) => {
    const t = h264NalType(u);
    return t !== H264NalType.aud && t !== H264NalType.sps && t !== H264NalType.pps;
  }));
}
