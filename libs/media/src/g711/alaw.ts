/**
 * G.711 A-law (ITU-T G.711 table 1) to and from 16-bit linear PCM. Decoding is a 256-entry
 * table; encoding follows the Recommendation's segment search.
 */
import { segmentOf } from './segment.js';

function alawToLinear(a: number): number {
  a ^= 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

const ALAW_TABLE = Int16Array.from({ length: 256 }, (_, i) => alawToLinear(i));

export function decodeAlaw(data: Uint8Array, out = new Int16Array(data.length)): Int16Array {
  for (let i = 0; i < data.length; i++) out[i] = ALAW_TABLE[data[i]!]!;
  return out;
}

/** Segment end points on the magnitude scaled by 1/8 (13-bit A-law input). */
const SEG_A_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

function linearToAlaw(pcm: number): number {
  let mask: number;
  let v = pcm >> 3;
  if (v >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    v = -v - 1;
  }
  const seg = segmentOf(v, SEG_A_END);
  if (seg >= 8) return 0x7f ^ mask;
  let aval = seg << 4;
  aval |= seg < 2 ? (v >> 1) & 0x0f : (v >> seg) & 0x0f;
  return aval ^ mask;
}

export function encodeAlaw(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = linearToAlaw(pcm[i]!);
  return out;
}
