import { lengthPrefixed } from '../annexb/length-prefixed.js';
import { h265NalType } from '../annexb/nal-unit-type.js';
import { H265NalType } from './nal-unit-type.js';

/** Drops AUD and parameter sets (they belong in the sample entry) and prefixes 4-byte lengths. */
export function h265Sample(units: readonly Uint8Array[]): Uint8Array {
  return lengthPrefixed(units.filter((u) => {
    const t = h265NalType(u);
    return t !== H265NalType.aud && t !== H265NalType.vps && t !== H265NalType.sps && t !== H265NalType.pps;
  }));
}
