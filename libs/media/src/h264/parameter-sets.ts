import { splitAnnexB } from '../annexb/annexb.js';
import { h264NalType } from '../annexb/nal-unit-type.js';
import type { AvcConfig } from './avc-config.js';
import { H264NalType } from './nal-unit-type.js';

/** Parameter sets of an access unit (its bytes, or its NAL units already split). */
export function h264ParameterSets(accessUnit: Uint8Array | readonly Uint8Array[]): AvcConfig {
  const sps: Uint8Array[] = [];
  const pps: Uint8Array[] = [];
  for (const u of accessUnit instanceof Uint8Array ? splitAnnexB(accessUnit) : accessUnit) {
    const t = h264NalType(u);
    if (t === H264NalType.sps) sps.push(u);
    else if (t === H264NalType.pps) pps.push(u);
  }
  return { sps, pps };
}
