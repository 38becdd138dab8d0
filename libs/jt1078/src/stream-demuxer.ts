/**
 * A push state machine that turns a connection's bytes, in reads of any size (TCP splits packets
 * anywhere), into JT1078 packets. Bodies are views into the read that carried them (no copy);
 * a packet that spans reads is gathered into a buffer of its own. Garbage is skipped up to the
 * next `01cd` and counted; nothing is buffered beyond one packet (MAX_BODY_BYTES), or
 * DETECT_LIMIT_BYTES while the revision is still unknown (RevisionDetector decides it; a header
 * is read as packet-header.ts reads it for decodePacket). Faults are reported, never thrown.
 */
import { bcdNibbles, decimalSim } from './decimal-sim.js';
import { findMagic } from './find-magic.js';
import { DataType, MAX_BODY_BYTES, PAYLOAD_TYPES, headerLength, type Jt1078Packet, type Revision } from './packet.js';
import { IMPOSSIBLE_HEADER, dataTypeOffset, declaredBodyLength, packetFromHeader } from './packet-header.js';
import { RevisionDetector } from './revision-detector.js';
import { FaultKind, emptyFaultCounts, type FaultCounts, type StreamFault } from './stream-fault.js';

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
  /** Gathers the first bytes until the revision shows; undefined once it is known. */
  #detector: RevisionDetector | undefined;
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
    else this.#detector = new RevisionDetector();
  }

  get revision(): Revision | undefined {
    return this.#revision;
  }

  /** Bytes held for an incomplete packet (or for detection): bounded, for memory accounting. */
  get bufferedBytes(): number {
    return (this.#detector?.bufferedBytes ?? 0) + this.#headerLength + (this.#body ? this.#bodyFilled : 0);
  }

  push(input: Uint8Array): void {
    // A plain Uint8Array view: subarray() on it is cheaper than on a Buffer (no species lookup).
    const chunk = input.constructor === Uint8Array ? input : new Uint8Array(input.buffer, input.byteOffset, input.length);
    const base = this.#total;
    this.#total += chunk.length;
    this.stats.bytes += chunk.length;
    if (this.#detector) {
      this.#detectPush(chunk, base, false);
    } else {
      this.#parse(chunk, base);
    }
  }

  /** The stream ended: reports a packet cut short and any garbage run still open. */
  end(): void {
    if (this.#detector && this.#detector.bufferedBytes > 0) this.#detectPush(EMPTY, this.#total, true);
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
    this.#detector = undefined;
    this.#dataTypeOffset = dataTypeOffset(revision);
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
    const bodyLength = declaredBodyLength(b, p, hl, this.#dataTypeOffset);
    if (bodyLength === IMPOSSIBLE_HEADER) return -1;
    if (bodyLength > MAX_BODY_BYTES) {
      this.#fault(FaultKind.badLength, offset, `body length ${bodyLength} > ${MAX_BODY_BYTES}`);
      return -1;
    }
    this.#readSim(b, p + 8);
    // The packet is made here, its body attached once its bytes are known (a view, or a buffer
    // gathered over several reads): one object and one write per field per packet.
    const packet = packetFromHeader(b, p, this.#revision!, this.#sim, offset, EMPTY);
    this.#packet = packet;
    if (KNOWN_PAYLOAD_TYPE[packet.payloadType] === 0 && packet.dataType !== DataType.passthrough) {
      this.#fault(FaultKind.unknownPayloadType, offset, `payload type ${packet.payloadType} is not in JT/T 1078 table 12`);
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
    for (let i = 0; i < n; i++) cache[i] = b[p + i]!;
    const s = bcdNibbles(b, p, n);
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

  /** Feeds the detector; once it names the revision, everything gathered is parsed. */
  #detectPush(chunk: Uint8Array, base: number, ended: boolean): void {
    const detection = this.#detector!.push(chunk, base, ended);
    if (detection.kind === 'found') {
      this.#setRevision(detection.revision);
      this.#parse(detection.bytes, detection.base);
    } else if (detection.kind === 'unknown') {
      this.#fault(FaultKind.revisionUnknown, detection.base, `no JT1078 packet found in ${detection.length} bytes`);
      this.stats.skippedBytes += detection.length;
    }
  }
}

/**
 * The buffer for a packet that spans reads (at most MAX_BODY_BYTES): from Node's small-buffer
 * pool (8 KB pieces), not from the 1 MB slab, so a connection that goes quiet in the middle of a
 * packet pins at most a pool piece, not a whole slab, for as long as it stays open.
 */
function spanningBody(size: number): Uint8Array {
  const b = Buffer.allocUnsafe(size);
  return new Uint8Array(b.buffer, b.byteOffset, size);
}
