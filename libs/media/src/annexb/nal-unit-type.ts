/** The NAL unit type field of each codec's NAL unit header. */

/** H.264 nal_unit_type (ITU-T H.264 §7.3.1): the low 5 bits of the first byte. */
export function h264NalType(unit: Uint8Array): number {
  return (unit[0] ?? 0) & 0x1f;
}

/** H.265 nal_unit_type (ITU-T H.265 §7.3.1.2): bits 1..6 of the first byte. */
export function h265NalType(unit: Uint8Array): number {
  return ((unit[0] ?? 0) >> 1) & 0x3f;
}
