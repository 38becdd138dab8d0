/**
 * One packet's bytes to a Jt1078Packet: the reader's side of `encodePacket`. For a whole
 * connection use StreamDemuxer (it finds packets in a stream, resynchronises and detects the
 * revision); this reads the one packet at the start of `bytes`, as a tool or a test has it.
 * Bad bytes never throw: the result says what is wrong with them (MalformedPacket, a kind).
 */
import { decimalSim, bcdNibbles } from './decimal-sim.js';
import { MAGIC_BYTES, MAX_BODY_BYTES, headerLength, type Jt1078Packet, type Revision } from './packet.js';
import { IMPOSSIBLE_HEADER, dataTypeOffset, declaredBodyLength, packetFromHeader } from './packet-header.js';

export const MalformedPacketKind = {
  /** Fewer bytes than the header needs. */
  short: 'short',
  /** The bytes do not start with `01cd`. */
  badMagic: 'bad-magic',
  /** Version bits, data type or subpackage flag that table 19 does not allow. */
  badHeader: 'bad-header',
  /** A body length above MAX_BODY_BYTES. */
  badLength: 'bad-length',
  /** Fewer body bytes than the header declares. */
  truncated: 'truncated',
  /** SIM nibbles that are not decimal digits (F padding aside). */
  badSim: 'bad-sim',
} as const;
export type MalformedPacketKind = (typeof MalformedPacketKind)[keyof typeof MalformedPacketKind];

/** Why bytes are not a packet. A value returned, not thrown (a caller may throw it). */
export class MalformedPacket extends Error {
  override readonly name = 'MalformedPacket';
  constructor(
    readonly kind: MalformedPacketKind,
    detail: string,
  ) {
    super(detail);
  }
}

export type PacketDecodeResult =
  /** `byteLength`: header and body, where the next packet would start. */
  | { readonly ok: true; readonly packet: Jt1078Packet; readonly byteLength: number }
  | { readonly ok: false; readonly error: MalformedPacket };

const malformed = (kind: MalformedPacketKind, detail: string): PacketDecodeResult => ({ ok: false, error: new MalformedPacket(kind, detail) });

/**
 * Decodes the packet at the start of `bytes` (bytes after it are left alone) as `revision`
 * lays it out. The body is a view into `bytes`; the packet's offset is 0.
 */
export function decodePacket(bytes: Uint8Array, revision: Revision): PacketDecodeResult {
  const dto = dataTypeOffset(revision);
  if (bytes.length <= dto) return malformed(MalformedPacketKind.short, `${bytes.length} bytes cannot hold a ${revision} header`);
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== MAGIC_BYTES[i]) return malformed(MalformedPacketKind.badMagic, 'the bytes do not start with 01cd');
  }
  const hl = headerLength(revision, bytes[dto]! >> 4);
  if (bytes.length < hl) return malformed(MalformedPacketKind.short, `${bytes.length} bytes cannot hold a ${hl}-byte header`);
  const bodyLength = declaredBodyLength(bytes, 0, hl, dto);
  if (bodyLength === IMPOSSIBLE_HEADER) return malformed(MalformedPacketKind.badHeader, 'version, data type or subpackage flag outside table 19');
  if (bodyLength > MAX_BODY_BYTES) return malformed(MalformedPacketKind.badLength, `body length ${bodyLength} > ${MAX_BODY_BYTES}`);
  if (bytes.length < hl + bodyLength) return malformed(MalformedPacketKind.truncated, `body of ${bodyLength} bytes, ${bytes.length - hl} present`);
  const nibbles = bcdNibbles(bytes, 8, dto - 9);
  const sim = decimalSim(nibbles);
  if (sim === undefined) return malformed(MalformedPacketKind.badSim, `SIM ${nibbles} is not decimal BCD`);
  const packet = packetFromHeader(bytes, 0, revision, sim, 0, bytes.subarray(hl, hl + bodyLength));
  return { ok: true, packet, byteLength: hl + bodyLength };
}
