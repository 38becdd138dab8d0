/**
 * Annex-B byte streams (ITU-T H.264 Annex B / H.265 Annex B): NAL units separated by
 * 00 00 01 or 00 00 00 01 start codes.
 */

/** Returns each NAL unit (without its start code) as a view into `data`; no bytes are copied. */
export function splitAnnexB(data: Uint8Array): Uint8Array[] {
  const units: Uint8Array[] = [];
  const n = data.length;
  let start = -1;
  let i = 0;
  while (i + 2 < n) {
    if (data[i + 2]! > 1) {
      i += 3;
    } else if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      if (start >= 0) {
        let end = i;
        // A 4-byte start code's leading zero (and trailing_zero_8bits) belongs to no NAL unit.
        while (end > start && data[end - 1] === 0) end--;
        if (end > start) units.push(data.subarray(start, end));
      }
      start = i + 3;
      i += 3;
    } else {
      i++;
    }
  }
  if (start >= 0 && start < n) {
    let end = n;
    while (end > start && data[end - 1] === 0) end--;
    if (end > start) units.push(data.subarray(start, end));
  } else if (start < 0 && n > 0) {
    // No start code at all: treat the whole buffer as one NAL unit (some devices omit it).
    units.push(data);
  }
  return units;
}

const START_CODE = new Uint8Array([0, 0, 0, 1]);

/** Joins NAL units with 4-byte start codes. */
export function joinAnnexB(units: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const u of units) size += 4 + u.length;
  const out = new Uint8Array(size);
  let o = 0;
  for (const u of units) {
    out.set(START_CODE, o);
    out.set(u, o + 4);
    o += 4 + u.length;
  }
  return out;
}
