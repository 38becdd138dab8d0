/**
 * G.711 µ-law (ITU-T G.711 table 2) to and from 16-bit linear PCM. Decoding is a 256-entry
 * table; encoding follows the Recommendation's segment search.
 */
import { segmentOf } from './segment.js';

function ulawToLinear(u: number): number {
  u = ~u & 0xff;
  let t = ((u & 0x0f) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

const ULAW_TABLE = Int16Array.from({ length: 256 }, (_, i) => ulawToLinear(i));

export function decodeUlaw(data: Uint8Array, out = new Int16Array(data.length)): Int16Array {
  for (let i = 0; i < data.length; i++) out[i] = ULAW_TABLE[data[i]!]!;
  return out;
}

/** Segment end points on the biased magnitude scaled by 1/4 (14-bit µ-law input). */
const SEG_U_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];

const ULAW_BIAS = 0x84;
const ULAW_CLIP = 8159;

function linearToUlaw(pcm: number): number {
  let v = pcm >> 2;
  let mask: number;
  if (v < 0) {
    v = -v;
    mask = 0x7f;
  } else {
    mask = 0xff;
  }
  if (v > ULAW_CLIP) v = ULAW_CLIP;
  v += ULAW_BIAS >> 2;
  const seg = segmentOf(v, SEG_U_END);
  if (seg >= 8) return 0x7f ^ mask;
  return (((seg << 4) | ((v >> (seg + 1)) & 0x0f)) ^ mask) & 0xff;
}

export function encodeUlaw(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = linearToUlaw(pcm[i]!);
  return out;
}
