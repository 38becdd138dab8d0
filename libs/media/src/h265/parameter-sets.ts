import { splitAnnexB } from '../annexb/annexb.js';
import { h265NalType } from '../annexb/nal-unit-type.js';
import type { HevcConfig } from './hevc-config.js';
import { H265NalType } from './nal-unit-type.js';

/** Parameter sets of an access unit (its bytes, or its NAL units already split). */
export function h265ParameterSets(accessUnit: Uint8Array | readonly Uint8Array[]): HevcConfig {
  const out: Record<'vps' | 'sps' | 'pps', Uint8Array[]> = { vps: [], sps: [], pps: [] };
  for (const u of accessUnit instanceof Uint8Array ? splitAnnexB(accessUnit) : accessUnit) {
    const t = h265NalType(u);
    if (t === H265NalType.vps) out.vps.push(u);
    else if (t === H265NalType.sps) out.sps.push(u);
    else if (t === H265NalType.pps) out.pps.push(u);
  }
  return out;
}
