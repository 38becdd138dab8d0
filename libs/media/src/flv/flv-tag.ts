/**
 * The FLV file layout (Adobe Flash Video File Format Specification v10.1, Annex E): a 9-byte
 * header, then tags, each followed by the size of the tag before it (E.3). Pure byte writers; the
 * muxer decides what goes into the tags.
 */

export const FlvTagType = { audio: 8, video: 9, script: 18 } as const;
export type FlvTagType = (typeof FlvTagType)[keyof typeof FlvTagType];

/** Tag header bytes (E.4.1): type, 24-bit data size, 24+8-bit timestamp, 24-bit stream id. */
export const FLV_TAG_HEADER_SIZE = 11;
/** DataSize is 24 bits (E.4.1): a body above this cannot be written as one tag. */
export const FLV_MAX_TAG_BODY = 0xffffff;

export class FlvTagTooLarge extends Error {
  override readonly name = 'FlvTagTooLarge';
  readonly kind = 'flv-tag-too-large';
  constructor(readonly size: number) {
    super(`an FLV tag body of ${size} bytes exceeds the 24-bit DataSize (${FLV_MAX_TAG_BODY})`);
  }
}

/** The file header (E.2) followed by PreviousTagSize0 = 0. */
export function flvFileHeader(tracks: { readonly audio: boolean; readonly video: boolean }): Uint8Array {
  const flags = (tracks.audio ? 0x04 : 0) | (tracks.video ? 0x01 : 0);
  return Uint8Array.of(0x46, 0x4c, 0x56, 1, flags, 0, 0, 0, 9, 0, 0, 0, 0);
}

/**
 * One tag and its trailing PreviousTagSize. The timestamp is milliseconds as an unsigned 32-bit
 * value split into 24 low bits and an extension byte (E.4.1); it wraps after ~49.7 days.
 */
export function flvTag(type: FlvTagType, timestampMs: number, body: Uint8Array): Uint8Array {
  if (body.length > FLV_MAX_TAG_BODY) throw new FlvTagTooLarge(body.length);
  const size = FLV_TAG_HEADER_SIZE + body.length;
  const out = new Uint8Array(size + 4);
  const ts = timestampMs >>> 0;
  out[0] = type;
  out[1] = (body.length >>> 16) & 0xff;
  out[2] = (body.length >>> 8) & 0xff;
  out[3] = body.length & 0xff;
  out[4] = (ts >>> 16) & 0xff;
  out[5] = (ts >>> 8) & 0xff;
  out[6] = ts & 0xff;
  out[7] = (ts >>> 24) & 0xff;
  // out[8..10]: StreamID, always 0.
  out.set(body, FLV_TAG_HEADER_SIZE);
  new DataView(out.buffer, out.byteOffset).setUint32(size, size);
  return out;
}
