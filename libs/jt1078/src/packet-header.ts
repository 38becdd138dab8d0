/**
 * Reading one table 19 header whose bytes are all present: the checks that tell a header from
 * bytes that merely contain `01cd`, and the fields. Shared by `decodePacket` (one packet) and
 * the StreamDemuxer (a connection's stream), so both read the table the same way.
 */
import { DataType, Jt1078Packet, type Revision } from './packet.js';

/** Byte offset of the data-type/subpackage byte: after the 6-byte (2016) or 10-byte (2019) SIM. */
export function dataTypeOffset(revision: Revision): number {
  return revision === '2019' ? 19 : 15;
}

/** Returned by `declaredBodyLength` for a header no device can send. */
export const IMPOSSIBLE_HEADER = -1;

/**
 * The body length the header at `p` declares (`hl` header bytes present), or IMPOSSIBLE_HEADER
 * when its version bits, data type or subpackage flag cannot be. The length is not bounded here.
 */
export function declaredBodyLength(b: Uint8Array, p: number, hl: number, dto: number): number {
  const vpxcc = b[p + 4]!;
  const dt = b[p + dto]! >> 4;
  const sp = b[p + dto]! & 0x0f;
  // RTP version 2 (RFC 3550 §5.1, which table 19 follows), a known data type and subpackage flag.
  if (vpxcc >> 6 !== 2 || dt > DataType.passthrough || sp > 3) return IMPOSSIBLE_HEADER;
  return (b[p + hl - 2]! << 8) | b[p + hl - 1]!;
}

/**
 * The packet whose checked header is at `p`, with `sim` already read (the demuxer keeps the
 * last one), an empty body (attached once its bytes are known) and stream offset `offset`.
 */
export function packetFromHeader(b: Uint8Array, p: number, revision: Revision, sim: string, offset: number, body: Uint8Array): Jt1078Packet {
  const dto = dataTypeOffset(revision);
  const dt = b[p + dto]! >> 4;
  const m = b[p + 5]!;
  const t = p + dto + 1;
  // u64 milliseconds: a double holds any value below 2^53 exactly (285,000 years); a device
  // that sends more (garbage in the high bytes, or a clock in µs) keeps it exactly as a bigint.
  const hi = dt === DataType.passthrough ? 0 : ((b[t]! << 24) | (b[t + 1]! << 16) | (b[t + 2]! << 8) | b[t + 3]!) >>> 0;
  const lo = dt === DataType.passthrough ? 0 : ((b[t + 4]! << 24) | (b[t + 5]! << 16) | (b[t + 6]! << 8) | b[t + 7]!) >>> 0;
  const timestamp = dt === DataType.passthrough ? undefined : hi * 0x1_0000_0000 + lo;
  const exactTimestamp = hi >= 0x20_0000 ? (BigInt(hi) << 32n) | BigInt(lo) : undefined;
  const video = dt <= DataType.B;
  return new Jt1078Packet(
    revision,
    b[p + 4]!,
    m >> 7 === 1,
    m & 0x7f,
    (b[p + 6]! << 8) | b[p + 7]!,
    sim,
    b[p + dto - 1]!,
    dt,
    b[p + dto]! & 0x0f,
    timestamp,
    video ? (b[t + 8]! << 8) | b[t + 9]! : undefined,
    video ? (b[t + 10]! << 8) | b[t + 11]! : undefined,
    body,
    offset,
    exactTimestamp,
  );
}
