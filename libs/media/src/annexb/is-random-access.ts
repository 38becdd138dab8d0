/**
 * Whether an access unit can start decoding: an IDR slice in H.264 (type 5), an IRAP picture in
 * H.265 (types 16..23: BLA, IDR, CRA). Every slice of a picture has the same type, so the first
 * VCL NAL unit decides (H.264 §7.4.1.2.4, H.265 §7.4.2.4.4): the scan stops there instead of
 * reading a whole frame.
 */

/** The decision for one NAL unit type: true/false once a VCL unit decides, undefined before. */
function decides(codec: 'h264' | 'h265', header: number): boolean | undefined {
  if (codec === 'h264') {
    const t = header & 0x1f;
    return t >= 1 && t <= 5 ? t === 5 : undefined;
  }
  const t = (header >> 1) & 0x3f;
  return t <= 31 ? t >= 16 && t <= 23 : undefined;
}

/** Over the access unit's Annex-B bytes, without splitting it. */
export function isRandomAccess(codec: 'h264' | 'h265', accessUnit: Uint8Array): boolean {
  const n = accessUnit.length;
  let i = 0;
  while (i + 3 < n) {
    const b2 = accessUnit[i + 2]!;
    if (b2 > 1) {
      i += 3;
      continue;
    }
    if (b2 === 1 && accessUnit[i] === 0 && accessUnit[i + 1] === 0) {
      const d = decides(codec, accessUnit[i + 3]!);
      if (d !== undefined) return d;
      i += 3;
    } else {
      i++;
    }
  }
  return false;
}

/** Over NAL units already split (see splitAnnexB). */
export function isRandomAccessUnits(codec: 'h264' | 'h265', units: readonly Uint8Array[]): boolean {
  for (const u of units) {
    const d = decides(codec, u[0] ?? 0);
    if (d !== undefined) return d;
  }
  return false;
}
