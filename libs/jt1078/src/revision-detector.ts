/**
 * Tells JT/T 1078-2016 from 2019 on one connection. The revision is not signalled (table 19
 * differs only in the SIM's width: BCD[6] or BCD[10]), so the bytes are read both ways and the
 * reading that lands the next packet on `01cd` wins. Bytes are gathered until one does, up to
 * DETECT_LIMIT_BYTES; past that the connection is not JT1078 and the bytes are given up.
 */
import { findMagic } from './find-magic.js';
import { DataType, MAX_BODY_BYTES, headerLength, type Revision } from './packet.js';

/** The revision must show itself within this many bytes, or the connection is not JT1078. */
export const DETECT_LIMIT_BYTES = 128 * 1024;

/** What one push told: still waiting, the revision (with every byte gathered so far), or none. */
export type RevisionDetection =
  | { readonly kind: 'waiting' }
  /** `bytes` starts at stream offset `base`; the caller parses them with the revision found. */
  | { readonly kind: 'found'; readonly revision: Revision; readonly bytes: Uint8Array; readonly base: number }
  /** `length` bytes from `base` hold no packet of either revision: skipped. */
  | { readonly kind: 'unknown'; readonly base: number; readonly length: number };

const WAITING: RevisionDetection = { kind: 'waiting' };

export class RevisionDetector {
  #buffer: Uint8Array | undefined;
  #length = 0;
  #base = 0;

  /** Bytes held while the revision is unknown (bounded by DETECT_LIMIT_BYTES plus one read). */
  get bufferedBytes(): number {
    return this.#length;
  }

  /**
   * Takes the next read, whose first byte is at stream offset `base`; `ended` when the stream
   * has no more (the last packet may then end exactly at the end of the bytes).
   */
  push(chunk: Uint8Array, base: number, ended = false): RevisionDetection {
    if (!this.#buffer) {
      this.#buffer = new Uint8Array(Math.max(4096, chunk.length));
      this.#base = base;
    }
    if (this.#length + chunk.length > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(this.#buffer.length * 2, this.#length + chunk.length));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(chunk, this.#length);
    this.#length += chunk.length;

    const buf = this.#buffer.subarray(0, this.#length);
    const verdict = detectRevision(buf, ended);
    if (verdict !== 'wait' && verdict !== 'none') {
      const found: RevisionDetection = { kind: 'found', revision: verdict, bytes: buf, base: this.#base };
      this.#buffer = undefined;
      this.#length = 0;
      return found;
    }
    if (ended || this.#length > DETECT_LIMIT_BYTES) {
      const unknown: RevisionDetection = { kind: 'unknown', base: this.#base, length: this.#length };
      this.#buffer = undefined;
      this.#length = 0;
      this.#base = base + chunk.length;
      return unknown;
    }
    return WAITING;
  }
}

/**
 * The revision of the first packet in `buf` whose reading lands on the next magic (or on the end
 * of the bytes, when `ended`); 'wait' when more bytes could still decide, 'none' when no packet
 * in `buf` can be read either way.
 */
export function detectRevision(buf: Uint8Array, ended: boolean): Revision | 'wait' | 'none' {
  let p = findMagic(buf, 0);
  while (p >= 0 && p + 4 <= buf.length) {
    let verdict = detectAt(buf, p, ended, true);
    // A device may label a packet with a payload type its data type contradicts: when no
    // reading fits both, the one reading that lands on the next packet (or the end) decides.
    if (verdict === 'none') verdict = detectAt(buf, p, ended, false);
    if (verdict !== 'none') return verdict;
    p = findMagic(buf, p + 1);
  }
  return ended ? 'none' : 'wait';
}

const VIDEO_PAYLOAD_TYPES = new Set([98, 99, 100, 101]);
const AUDIO_PAYLOAD_TYPES = new Set([2, 6, 7, 8, 19, 25, 26]);

/**
 * A reading whose data type contradicts the payload type (an audio codec on a video packet) is
 * the wrong revision: the data-type byte it read was really a SIM byte. Unknown types are let be.
 */
function payloadTypeFits(pt: number, dataType: number): boolean {
  if (dataType <= DataType.B) return !AUDIO_PAYLOAD_TYPES.has(pt);
  if (dataType === DataType.audio) return !VIDEO_PAYLOAD_TYPES.has(pt);
  return true;
}

/**
 * Which revision's reading of the packet at `p` lands on the next magic (JT/T 1078 does not
 * signal it): '2016' | '2019', 'wait' for more bytes, or 'none' when neither can be a packet.
 * `fitting`: readings whose payload type contradicts their data type are ruled out; without
 * it, a revision is named only when exactly one reading lands.
 */
function detectAt(buf: Uint8Array, p: number, ended: boolean, fitting: boolean): Revision | 'wait' | 'none' {
  let waiting = false;
  const landing: Revision[] = [];
  for (const rev of ['2016', '2019'] as const) {
    const dto = rev === '2019' ? 19 : 15;
    if (p + dto >= buf.length) {
      waiting = true;
      continue;
    }
    const dt = buf[p + dto]! >> 4;
    const sp = buf[p + dto]! & 0x0f;
    if (buf[p + 4]! >> 6 !== 2 || dt > DataType.passthrough || sp > 3) continue;
    if (fitting && !payloadTypeFits(buf[p + 5]! & 0x7f, dt)) continue;
    const hl = headerLength(rev, dt);
    if (p + hl > buf.length) {
      waiting = true;
      continue;
    }
    const bodyLength = (buf[p + hl - 2]! << 8) | buf[p + hl - 1]!;
    if (bodyLength > MAX_BODY_BYTES) continue;
    const next = p + hl + bodyLength;
    if (next + 4 <= buf.length) {
      if (buf[next] === 0x30 && buf[next + 1] === 0x31 && buf[next + 2] === 0x63 && buf[next + 3] === 0x64) landing.push(rev);
    } else if (ended && next === buf.length) {
      landing.push(rev);
    } else if (!ended) {
      waiting = true;
    }
    if (fitting && landing.length > 0) return landing[0]!;
  }
  if (!fitting && landing.length === 1 && !waiting) return landing[0]!;
  return waiting && !ended ? 'wait' : 'none';
}
