/**
 * ISO/IEC 14496-12 boxes (§4.2): every box of the init segment is built by `box()` or `fullBox()`,
 * so sizes are computed in one place.
 */
import { concatBytes } from '../bytes/concat-bytes.js';

export type Bytes = Uint8Array;

const enc = new TextEncoder();

/** A 32-bit big-endian field. */
export function u32(v: number): Bytes {
  return new Uint8Array([(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
}

/** A 16-bit big-endian field. */
export function u16(v: number): Bytes {
  return new Uint8Array([(v >>> 8) & 0xff, v & 0xff]);
}

/** A box: 32-bit size, four-character type, payload (§4.2). */
export function box(type: string, ...payloads: Bytes[]): Bytes {
  const body = concatBytes(payloads);
  return concatBytes([u32(8 + body.length), enc.encode(type), body]);
}

/** A FullBox: a box whose payload starts with version (8 bits) and flags (24 bits). */
export function fullBox(type: string, version: number, flags: number, ...payloads: Bytes[]): Bytes {
  return box(type, new Uint8Array([version, (flags >>> 16) & 0xff, (flags >>> 8) & 0xff, flags & 0xff]), ...payloads);
}
