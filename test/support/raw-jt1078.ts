/**
 * JT1078 packets written byte by byte from table 19 (2016 layout), for tests that must send what
 * the project's encoder refuses to make: SIMs that are not decimal BCD, any data type and
 * subpackage flag, any channel, lengths that lie.
 */
export interface RawPacketFields {
  /** 12 hex digits: the six SIM bytes as sent (`01390000080F`). */
  readonly simHex: string;
  readonly channel: number;
  readonly sequence: number;
  /** High nibble of byte 15: 0 I, 1 P, 2 B, 3 audio, 4 passthrough. */
  readonly dataType: number;
  /** Low nibble of byte 15: 0 atomic, 1 first, 2 last, 3 middle. */
  readonly subpackage: number;
  readonly payloadType?: number;
  readonly timestamp?: number;
  readonly body: Uint8Array;
  /** The body length field, when it should lie. */
  readonly lengthField?: number;
}

export function rawPacket(f: RawPacketFields): Buffer {
  const video = f.dataType <= 2;
  const passthrough = f.dataType === 4;
  const headerLength = passthrough ? 18 : video ? 30 : 26;
  const head = Buffer.alloc(headerLength);
  head.write('30316364', 0, 'hex');
  head[4] = 0x81;
  head[5] = (f.payloadType ?? (video ? 98 : 6)) & 0x7f;
  head.writeUInt16BE(f.sequence & 0xffff, 6);
  head.write(f.simHex, 8, 'hex');
  head[14] = f.channel & 0xff;
  head[15] = ((f.dataType & 0x0f) << 4) | (f.subpackage & 0x0f);
  if (!passthrough) head.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(f.timestamp ?? 0))), 16);
  head.writeUInt16BE((f.lengthField ?? f.body.length) & 0xffff, headerLength - 2);
  return Buffer.concat([head, f.body]);
}
