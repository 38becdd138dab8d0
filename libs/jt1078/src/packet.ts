/**
 * One JT/T 1078 RTP-like packet (JT/T 1078-2016 table 19; the 2019 revision widens the SIM to
 * BCD[10]). All multi-byte fields are big-endian.
 */
import type { CodecName } from '@jt1078/media';

export type Revision = '2016' | '2019';

/** Frame header magic `0x30316364` ("01cd"), table 19 byte 0. */
export const MAGIC = 0x30316364;
export const MAGIC_BYTES = new Uint8Array([0x30, 0x31, 0x63, 0x64]);

/** Data type, the high nibble of byte 15 (table 19). */
export const DataType = { I: 0, P: 1, B: 2, audio: 3, passthrough: 4 } as const;
export type DataType = (typeof DataType)[keyof typeof DataType];

/** Subpackage flag, the low nibble of byte 15 (table 19). */
export const Subpackage = { atomic: 0, first: 1, last: 2, middle: 3 } as const;
export type Subpackage = (typeof Subpackage)[keyof typeof Subpackage];

/** The body of one packet is at most 950 bytes by the standard (table 19, note). */
export const SPEC_MAX_BODY_BYTES = 950;

/**
 * Bodies above this are treated as a corrupt length field. Real devices exceed 950 now and then
 * (some send 1,024 or a full MTU), so we accept up to 16 KB — far below the 64 KB a random u16
 * could claim, which would otherwise stall the stream waiting for bytes that never come.
 */
export const MAX_BODY_BYTES = 16 * 1024;

/** Header sizes by revision and data-type class (table 19: 30/26/18 bytes; 2019 adds 4 SIM bytes). */
export function headerLength(revision: Revision, dataType: number): number {
  const base = dataType <= DataType.B ? 30 : dataType === DataType.audio ? 26 : 18;
  return revision === '2019' ? base + 4 : base;
}

export function isVideoDataType(dataType: number): boolean {
  return dataType <= DataType.B;
}

/** Payload types of table 12 that devices send. */
export const PAYLOAD_TYPES: Readonly<Record<number, CodecName>> = {
  2: 'g722',
  6: 'g711a',
  7: 'g711u',
  8: 'g726',
  19: 'aac',
  25: 'mp3',
  26: 'adpcm',
  98: 'h264',
  99: 'h265',
  100: 'avs',
  101: 'svac',
};

/** The table 12 number for a codec (the encoder's side). */
export const PAYLOAD_TYPE_OF: Readonly<Record<CodecName, number>> = Object.fromEntries(
  Object.entries(PAYLOAD_TYPES).map(([pt, name]) => [name, Number(pt)]),
) as Record<CodecName, number>;

export function codecOfPayloadType(pt: number): CodecName | undefined {
  return PAYLOAD_TYPES[pt];
}

/**
 * A decoded packet. A class, so every packet has one shape (the demuxer makes millions);
 * `body` is a view into the bytes the demuxer was given, or a fresh buffer when the packet
 * spanned reads: it is never overwritten later.
 */
export class Jt1078Packet {
  constructor(
    readonly revision: Revision,
    /** Byte 4: V(2) P(1) X(1) CC(4); 0x81 on every device seen. */
    readonly vpxcc: number,
    /** M bit: set on the last packet of a frame. */
    readonly marker: boolean,
    readonly payloadType: number,
    readonly sequence: number,
    /** Digits of the BCD SIM, leading zeros kept: 12 (2016) or 20 (2019). */
    readonly sim: string,
    readonly channel: number,
    readonly dataType: number,
    readonly subpackage: number,
    /** Milliseconds; undefined for passthrough (data type 4) packets, which carry none. */
    readonly timestamp: number | undefined,
    /** Video only: ms since the last I-frame and since the last frame. */
    readonly lastIFrameInterval: number | undefined,
    readonly lastFrameInterval: number | undefined,
    readonly body: Uint8Array,
    /** Offset of the packet's first byte in the connection's byte stream. */
    readonly offset: number,
    /**
     * The u64 timestamp exactly, when it is 2^53 ms or more (`timestamp` is then only its
     * nearest double); undefined below, where `timestamp` is exact.
     */
    readonly exactTimestamp: bigint | undefined = undefined,
  ) {}

  get codec(): CodecName | undefined {
    return PAYLOAD_TYPES[this.payloadType];
  }
}
