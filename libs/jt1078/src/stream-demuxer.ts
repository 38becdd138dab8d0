/**
 * A push state machine that turns a connection's bytes, in reads of any size (TCP splits packets
 * anywhere), into JT1078 packets. Bodies are views into the read that carried them (no copy);
 * a packet that spans reads is gathered into a buffer of its own. Garbage is skipped up to the
 * next `01cd` and counted; nothing is buffered beyond one packet (MAX_BODY_BYTES), or
 * DETECT_LIMIT_BYTES while the revision is still unknown. Faults are reported, never thrown.
 */
import {
  DataType,
  Jt1078Packet,
  MAX_BODY_BYTES,
  PAYLOAD_TYPES,
  headerLength,
  type Revision,
} from './packet.js';
import { FaultKind, emptyFaultCounts, type FaultCounts, type StreamFault } from './stream-fault.js';
import { decimalSim } from './decimal-sim.js';

/** The revision must show itself within this many bytes, or the connection is not JT1078. */
export const DETECT_LIMIT_BYTES = 128 * 1024;

/** 1 for each payload type table 12 lists: a table lookup on the hot path. */
const KNOWN_PAYLOAD_TYPE = new Uint8Array(128);
for (const pt of Object.keys(PAYLOAD_TYPES)) KNOWN_PAYLOAD_TYPE[Number(pt)] = 1;

const EMPTY = new Uint8Array(0);

/** Largest header (2019 video: 34 bytes). */
const MAX_HEADER_BYTES = 34;

export interface StreamDemuxerOptions {
  readonly onPacket: (packet: Jt1078Packet) => void;
  readonly onFault?: (fault: StreamFault) => void;
  /** Skips detection when the revision is known (e.g. from configuration). */
  readonly revision?: Revision;
}

export interface DemuxerStats {
  packets: number;
  bytes: number;
  skippedBytes: number;
  readonly faults: FaultCounts;
}

export class StreamDemuxer {
  readonly stats: DemuxerStats = { packets: 0, bytes: 0, skippedBytes: 0, faults: emptyFaultCounts() };
  #revision: Revision | undefined;
  #dataTypeOffset = 15;
  /** Header length by data type for this connection's revision (a lookup on the hot path). */
  readonly #headerLengths = new Uint8Array(16);

  /** Stream offset of the next byte to arrive. */
  #total = 0;
  /** Bytes gathered while the revision is unknown. */
  #detect: Uint8Array | undefined;
  #detectLength = 0;
  #detectBase = 0;
  /** A header that started in an earlier read. */
  readonly #header = new Uint8Array(MAX_HEADER_BYTES);
  #headerLength = 0;
  #headerOffset = 0;
  /** The body of a packet that spans reads. */
  #body: Uint8Array | undefined;
  #bodyFilled = 0;
  /** The current run of garbage: where it began and how long it is. */
  #garbageOffset = -1;
  #garbageLength = 0;
  /** The last SIM seen, so the same BCD bytes do not build a new string per packet. */
  readonly #simBytes = new Uint8Array(10);
  #sim = '';
  /** The last SIM spelled decimal digits (after F padding came off); otherwise its packets are skipped. */
  #simValid = true;

  /** The packet whose header has been read, waiting for its body. */
  #packet: Jt1078Packet | undefined;

  readonly #onPacket: (packet: Jt1078Packet) => void;
  readonly #onFault: ((fault: StreamFault) => void) | undefined;

  constructor(opts: StreamDemuxerOptions) {
    this.#onPacket = opts.onPacket;
    this.#onFault = opts.onFault;
    if (opts.revision) this.#setRevision(opts.revision);
  }

  get revision(): Revision | undefined {
    return this.#revision;
  }

  /** Bytes held for an incomplete packet (or for detection): bounded, for memory accounting. */
  get bufferedBytes(): number {
    return this.#detectLength + this.#headerLength + (this.#body ? this.#bodyFilled : 0);
  }

  push(input: Uint8Array): void {
    // A plain Uint8Array view: subarray() on it is cheaper than on a Buffer (no species lookup).
    const chunk = input.constructor === Uint8Array ? input : new Uint8Array(input.buffer, input.byteOffset, input.length);
    const base = this.#total;
    this.#total += chunk.length;
    this.stats.bytes += chunk.length;
    if (this.#revision === undefined) {
      this.#detectPush(chunk, base, false);
    } else {
      this.#parse(chunk, base);
    }
  }

  /** The stream ended: reports a packet cut short and any garbage run still open. */
  end(): void {
    if (this.#revision === undefined && this.#detectLength > 0) this.#detectPush(new Uint8Array(0), this.#total, true);
    if (this.#body) {
      this.#fault(FaultKind.truncated, this.#packet!.offset, `stream ended ${this.#body.length - this.#bodyFilled} bytes before the end of a packet`);
      this.stats.skippedBytes += this.#bodyFilled + headerLength(this.#revision ?? '2016', this.#packet!.dataType);
      this.#body = undefined;
    } else if (this.#headerLength > 0) {
      this.#fault(FaultKind.truncated, this.#headerOffset, `stream ended inside a header (${this.#headerLength} bytes)`);
      this.stats.skippedBytes += this.#headerLength;
      this.#headerLength = 0;
    }
    this.#endGarbage();
  }

  #setRevision(revision: Revision): void {
    this.#revision = revision;
    this.#dataTypeOffset = revision === '2019' ? 19 : 15;
    for (let dt = 0; dt < 16; dt++) this.#headerLengths[dt] = headerLength(revision, dt);
  }

  #fault(kind: FaultKind, offset: number, detail: string): void {
    this.stats.faults[kind]++;
    this.#onFault?.({ kind, offset, detail });
  }

  #garbage(offset: number, length: number): void {
    if (this.#garbageOffset < 0) this.#garbageOffset = offset;
    this.#garbageLength += length;
    this.stats.skippedBytes += length;
  }

  #endGarbage(): void {
    if (this.#garbageOffset >= 0) {
      this.#fault(FaultKind.garbage, this.#garbageOffset, `${this.#garbageLength} bytes skipped`);
      this.#garbageOffset = -1;
      this.#garbageLength = 0;
    }
  }

  /**
   * Reads and checks the header at `p` (all `hl` bytes present). Returns the body length, or -1
   * when the header is impossible (the caller then treats the magic as garbage).
   */
  #readHeader(b: Uint8Array, p: number, hl: number, offset: number): number {
    const vpxcc = b[p + 4]!;
    const dt = b[p + this.#dataTypeOffset]! >> 4;
    const sp = b[p + this.#dataTypeOffset]! & 0x0f;
    // RTP version 2 (RFC 3550 §5.1, which table 19 follows), a known data type and subpackage flag.
    if (vpxcc >> 6 !== 2 || dt > DataType.passthrough || sp > 3) return -1;
    const bodyLength = (b[p + hl - 2]! << 8) | b[p + hl - 1]!;
    if (bodyLength > MAX_BODY_BYTES) {
      this.#fault(FaultKind.badLength, offset, `body length ${bodyLength} > ${MAX_BODY_BYTES}`);
      return -1;
    }
    const m = b[p + 5]!;
    const t = p + this.#dataTypeOffset + 1;
    // u64 milliseconds: a double holds any value below 2^53 exactly (285,000 years); a device
    // that sends more (garbage in the high bytes, or a clock in µs) keeps it exactly as a bigint.
    const hi = dt === DataType.passthrough ? 0 : ((b[t]! << 24) | (b[t + 1]! << 16) | (b[t + 2]! << 8) | b[t + 3]!) >>> 0;
    const lo = dt === DataType.passthrough ? 0 : ((b[t + 4]! << 24) | (b[t + 5]! << 16) | (b[t + 6]! << 8) | b[t + 7]!) >>> 0;
    const timestamp = dt === DataType.passthrough ? undefined : hi * 0x1_0000_0000 + lo;
    const exactTimestamp = hi >= 0x20_0000 ? (BigInt(hi) << 32n) | BigInt(lo) : undefined;
    const video = dt <= DataType.B;
    this.#readSim(b, p + 8);
    // The packet is made here, its body attached once its bytes are known (a view, or a buffer
    // gathered over several reads): one object and one write per field per packet.
    this.#packet = new Jt1078Packet(
      this.#revision!,
      vpxcc,
      m >> 7 === 1,
      m & 0x7f,
      (b[p + 6]! << 8) | b[p + 7]!,
      this.#sim,
      b[p + this.#dataTypeOffset - 1]!,
      dt,
      sp,
      timestamp,
      video ? (b[t + 8]! << 8) | b[t + 9]! : undefined,
      video ? (b[t + 10]! << 8) | b[t + 11]! : undefined,
      EMPTY,
      offset,
      exactTimestamp,
    );
    if (KNOWN_PAYLOAD_TYPE[m & 0x7f] === 0 && dt !== DataType.passthrough) {
      this.#fault(FaultKind.unknownPayloadType, offset, `payload type ${m & 0x7f} is not in JT/T 1078 table 12`);
    }
    return bodyLength;
  }

  #readSim(b: Uint8Array, p: number): void {
    const n = this.#revision === '2019' ? 10 : 6;
    const cache = this.#simBytes;
    let same = this.#sim !== '';
    for (let i = 0; i < n; i++) {
      if (cache[i] !== b[p + i]) {
        same = false;
        break;
      }
    }
    if (same) return;
    let s = '';
    for (let i = 0; i < n; i++) {
      const v = b[p + i]!;
      cache[i] = v;
      s += HEX_DIGIT[v >> 4]! + HEX_DIGIT[v & 0x0f]!;
    }
    const sim = decimalSim(s);
    this.#simValid = sim !== undefined;
    this.#sim = sim ?? s;
  }

  #emit(body: Uint8Array): void {
    const packet = this.#packet!;
    this.#packet = undefined;
    if (!this.#simValid) {
      // Counted as skipped bytes and a fault: the stream's framing stays intact (the packet's
      // length was sound), only this packet is not passed on.
      this.stats.skippedBytes += body.length + this.#headerLengths[packet.dataType]!;
      this.#fault(FaultKind.badSim, packet.offset, `SIM ${packet.sim} is not decimal BCD`);
      return;
    }
    this.stats.packets++;
    (packet as { body: Uint8Array }).body = body;
    this.#onPacket(packet);
  }

  /** Parses `buf`, whose first byte is at stream offset `base`. */
  #parse(buf: Uint8Array, base: number): void {
    const len = buf.length;
    let pos = 0;
    while (pos < len) {
      if (this.#body) pos = this.#continueBody(buf, pos);
      else if (this.#headerLength > 0) pos = this.#continueHeader(buf, pos, base);
      else pos = this.#scan(buf, pos, base);
    }
  }

  /** The hot path: packets wholly inside `buf` become views. Returns where parsing stopped. */
  #scan(buf: Uint8Array, from: number, base: number): number {
    const len = buf.length;
    const dto = this.#dataTypeOffset;
    const lengths = this.#headerLengths;
    let pos = from;
    while (pos < len) {
      if (buf[pos] === 0x30 && pos + 3 < len && buf[pos + 1] === 0x31 && buf[pos + 2] === 0x63 && buf[pos + 3] === 0x64) {
        if (pos + dto >= len) return this.#startHeader(buf, pos, base);
        const hl = lengths[buf[pos + dto]! >> 4]!;
        if (pos + hl > len) return this.#startHeader(buf, pos, base);
        const bodyLength = this.#readHeader(buf, pos, hl, base + pos);
        if (bodyLength < 0) {
          this.#fault(FaultKind.badHeader, base + pos, 'impossible header after 01cd');
          this.#garbage(base + pos, 1);
          pos++;
          continue;
        }
        this.#endGarbage();
        const start = pos + hl;
        const end = start + bodyLength;
        if (end <= len) {
          this.#emit(buf.subarray(start, end));
          pos = end;
          continue;
        }
        this.#body = spanningBody(bodyLength);
        this.#body.set(buf.subarray(start, len));
        this.#bodyFilled = len - start;
        return len;
      }
      // Not at a whole magic: a prefix of one that ends the read is kept for the next read;
      // anything else is garbage up to the next magic.
      if (buf[pos] === 0x30 && pos + 3 >= len && findMagic(buf, pos) === pos) return this.#startHeader(buf, pos, base);
      const next = findMagic(buf, pos + 1);
      const stop = next < 0 ? len : next;
      this.#garbage(base + pos, stop - pos);
      pos = stop;
    }
    return len;
  }

  #continueBody(buf: Uint8Array, pos: number): number {
    const body = this.#body!;
    const n = Math.min(body.length - this.#bodyFilled, buf.length - pos);
    body.set(buf.subarray(pos, pos + n), this.#bodyFilled);
    this.#bodyFilled += n;
    if (this.#bodyFilled === body.length) {
      this.#body = undefined;
      this.#emit(body);
    }
    return pos + n;
  }

  #startHeader(buf: Uint8Array, pos: number, base: number): number {
    this.#header.set(buf.subarray(pos), 0);
    this.#headerLength = buf.length - pos;
    this.#headerOffset = base + pos;
    return buf.length;
  }

  /** Completes a header begun in an earlier read; returns where parsing of `buf` continues. */
  #continueHeader(buf: Uint8Array, from: number, _base: number): number {
    const h = this.#header;
    const dto = this.#dataTypeOffset;
    let pos = from;
    // First the four magic bytes, then up to the data-type byte, then the whole header.
    for (;;) {
      const have = this.#headerLength;
      const need = have < 4 ? 4 : have < dto + 1 ? dto + 1 : headerLength(this.#revision!, h[dto]! >> 4);
      if (have >= need) break;
      const take = Math.min(need - have, buf.length - pos);
      h.set(buf.subarray(pos, pos + take), have);
      this.#headerLength += take;
      pos += take;
      if (this.#headerLength < need) return pos;
      if (need === 4 && !(h[0] === 0x30 && h[1] === 0x31 && h[2] === 0x63 && h[3] === 0x64)) return this.#refeedHeader(pos);
    }
    const bodyLength = this.#readHeader(h, 0, this.#headerLength, this.#headerOffset);
    if (bodyLength < 0) {
      this.#fault(FaultKind.badHeader, this.#headerOffset, 'impossible header after 01cd');
      return this.#refeedHeader(pos);
    }
    this.#endGarbage();
    this.#headerLength = 0;
    const available = buf.length - pos;
    if (bodyLength <= available) {
      // The body is wholly in this read: a view, like any other packet.
      this.#emit(buf.subarray(pos, pos + bodyLength));
      return pos + bodyLength;
    }
    this.#body = spanningBody(bodyLength);
    this.#body.set(buf.subarray(pos), 0);
    this.#bodyFilled = available;
    return buf.length;
  }

  /**
   * The gathered header was not a packet: its first byte is garbage and the rest is parsed
   * again (at most MAX_HEADER_BYTES - 1 bytes, so the recursion is shallow and bounded).
   */
  #refeedHeader(pos: number): number {
    const copy = this.#header.slice(1, this.#headerLength);
    const offset = this.#headerOffset;
    this.#headerLength = 0;
    this.#garbage(offset, 1);
    this.#parse(copy, offset + 1);
    return pos;
  }

  /* ---- revision detection ---- */

  #detectPush(chunk: Uint8Array, base: number, ended: boolean): void {
    if (!this.#detect) {
      this.#detect = new Uint8Array(Math.max(4096, chunk.length));
      this.#detectBase = base;
    }
    if (this.#detectLength + chunk.length > this.#detect.length) {
      const grown = new Uint8Array(Math.max(this.#detect.length * 2, this.#detectLength + chunk.length));
      grown.set(this.#detect.subarray(0, this.#detectLength));
      this.#detect = grown;
    }
    this.#detect.set(chunk, this.#detectLength);
    this.#detectLength += chunk.length;

    const buf = this.#detect.subarray(0, this.#detectLength);
    let p = findMagic(buf, 0);
    while (p >= 0 && p + 4 <= buf.length) {
      let verdict = detectAt(buf, p, ended, true);
      // A device may label a packet with a payload type its data type contradicts: when no
      // reading fits both, the one reading that lands on the next packet (or the end) decides.
      if (verdict === 'none') verdict = detectAt(buf, p, ended, false);
      if (verdict === 'wait') break;
      if (verdict !== 'none') {
        this.#setRevision(verdict);
        this.#detect = undefined;
        this.#detectLength = 0;
        this.#parse(buf, this.#detectBase);
        return;
      }
      p = findMagic(buf, p + 1);
    }
    if (ended || this.#detectLength > DETECT_LIMIT_BYTES) {
      this.#fault(FaultKind.revisionUnknown, this.#detectBase, `no JT1078 packet found in ${this.#detectLength} bytes`);
      this.stats.skippedBytes += this.#detectLength;
      this.#detect = undefined;
      this.#detectLength = 0;
      this.#detectBase = this.#total;
    }
  }
}

const HEX_DIGIT = '0123456789ABCDEF';

/**
 * The buffer for a packet that spans reads (at most MAX_BODY_BYTES): from Node's small-buffer
 * pool (8 KB pieces), not from the 1 MB slab, so a connection that goes quiet in the middle of a
 * packet pins at most a pool piece, not a whole slab, for as long as it stays open.
 */
function spanningBody(size: number): Uint8Array {
  const b = Buffer.allocUnsafe(size);
  return new Uint8Array(b.buffer, b.byteOffset, size);
}

/** Index of the next `01cd` at or after `from` (or of a prefix of it that ends the buffer), else -1. */
export function findMagic(buf: Uint8Array, from: number): number {
  const len = buf.length;
  let i = from;
  for (;;) {
    i = buf.indexOf(0x30, i);
    if (i < 0) return -1;
    if (i + 3 < len) {
      if (buf[i + 1] === 0x31 && buf[i + 2] === 0x63 && buf[i + 3] === 0x64) return i;
    } else if ((i + 1 >= len || buf[i + 1] === 0x31) && (i + 2 >= len || buf[i + 2] === 0x63)) {
      return i;
    }
    i++;
  }
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
