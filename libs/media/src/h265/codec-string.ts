import type { H265Sps } from './sps.js';

function reverseBits32(v: number): number {
  let out = 0;
  for (let i = 0; i < 32; i++) out = (out << 1) | ((v >>> i) & 1);
  return out >>> 0;
}

/** ISO/IEC 14496-15 E.3: `hvc1.1.6.L93.B0` (profile, reversed compatibility flags, tier+level, constraints). */
export function h265CodecString(sps: H265Sps): string {
  const p = sps.ptl;
  const space = ['', 'A', 'B', 'C'][p.profileSpace] ?? '';
  const constraints = [...p.constraintFlags];
  while (constraints.length > 0 && constraints[constraints.length - 1] === 0) constraints.pop();
  const tail = constraints.map((b) => b.toString(16).toUpperCase()).join('.');
  return `hvc1.${space}${p.profileIdc}.${reverseBits32(p.compatibilityFlags).toString(16).toUpperCase()}.${p.tierFlag ? 'H' : 'L'}${p.levelIdc}${tail ? `.${tail}` : ''}`;
}
