/** The AudioSpecificConfig an MP4 `esds` carries for AAC (ISO/IEC 14496-3 §1.6.2.1). */
import type { AdtsFrame } from './adts.js';

/** AudioSpecificConfig (§1.6.2.1): object type (5 bits), frequency index (4), channels (4), 3 zero bits. */
export function audioSpecificConfig(f: Pick<AdtsFrame, 'objectType' | 'sampleRateIndex' | 'channelConfig'>): Uint8Array {
  return new Uint8Array([(f.objectType << 3) | (f.sampleRateIndex >> 1), ((f.sampleRateIndex & 1) << 7) | (f.channelConfig << 3)]);
}
