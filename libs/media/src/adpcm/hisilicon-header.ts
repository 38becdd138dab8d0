/**
 * HiSilicon encoders put `00 01 LL 00` before each audio frame, LL = payload bytes / 2 (a 16-bit
 * word count). Only a header whose count matches the body is taken for one.
 */

/** Removes a HiSilicon `00 01 LL 00` header when the body has one; otherwise the body as it is. */
export function stripHisiliconHeader(body: Uint8Array): Uint8Array {
  if (body.length > 4 && body[0] === 0 && body[1] === 1 && body[3] === 0 && body[2]! * 2 === body.length - 4) return body.subarray(4);
  return body;
}
