import type { H264Sps } from './sps.js';

/** RFC 6381 §3.3: `avc1.PPCCLL` from the SPS's first three bytes after the NAL header. */
export function h264CodecString(sps: H264Sps): string {
  const hex = (v: number) => v.toString(16).padStart(2, '0');
  return `avc1.${hex(sps.profileIdc)}${hex(sps.constraintFlags)}${hex(sps.levelIdc)}`;
}
