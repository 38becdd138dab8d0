/**
 * A frame as the NATS messages that carry it. NATS refuses a message whose headers plus payload
 * exceed the server's max_payload (1 MB by default), and an H.264 I-frame from a 4K camera can
 * be bigger. Such a frame is cut into pieces that each fit, with the frame's own headers on every
 * piece plus `Jt1078-Chunk: <index>/<count>` and a per-piece `Nats-Msg-Id` (`<frame id>-<index>`,
 * so JetStream's de-duplication keeps every piece). Pieces of one frame are published back to
 * back on the frame's subject; ChunkReassembler puts them together again.
 *
 * Each message's header block is encoded here, once (frameHeaderBlock): the NATS adapter hands
 * the bytes to nats.js as they are.
 */
import { MalformedEnvelope, frameHeaderBlock, parseHeaderBlock, type FrameEnvelope } from './frame-envelope.js';

export interface WireMessage {
  /** The encoded `NATS/1.0` header block (UTF-8), as it goes on the wire. */
  readonly headers: Uint8Array;
  readonly data: Uint8Array;
}

/**
 * Room for `Jt1078-Chunk: <index>/<count>\r\n` and the `-<index>` msg-id suffix, with index and
 * count up to 10 digits each — far more pieces than a frame ever needs.
 */
const CHUNK_HEADER_RESERVE = 64;
/**
 * Below this many payload bytes per piece, chunking would need so many messages that something
 * is misconfigured (a server max_payload of a few KB, or kilobytes of headers).
 */
export const MIN_CHUNK_BYTES = 4096;

/** UTF-8 of a header block; Buffer.from takes short strings from Node's pool, about twice as fast as TextEncoder here. */
function utf8(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

/** A message's headers by name (tests and tools read what frameMessages wrote). */
export function wireHeaders(m: WireMessage): Map<string, string> {
  return parseHeaderBlock(m.headers);
}

/** One message when the frame fits in `maxPayload` (headers included), otherwise its chunks. */
export function frameMessages(frame: FrameEnvelope, maxPayload: number): WireMessage[] {
  const headers = utf8(frameHeaderBlock(frame));
  if (headers.length + frame.data.length <= maxPayload) return [{ headers, data: frame.data }];
  const room = maxPayload - headers.length - CHUNK_HEADER_RESERVE;
  if (room < MIN_CHUNK_BYTES) {
    throw new MalformedEnvelope(`max_payload ${maxPayload} leaves ${room} bytes per chunk after ${headers.length} bytes of headers (need ${MIN_CHUNK_BYTES})`);
  }
  const count = Math.ceil(frame.data.length / room);
  const out: WireMessage[] = [];
  for (let i = 0; i < count; i++) {
    out.push({ headers: utf8(frameHeaderBlock(frame, { index: i, count })), data: frame.data.subarray(i * room, Math.min(frame.data.length, (i + 1) * room)) });
  }
  return out;
}
