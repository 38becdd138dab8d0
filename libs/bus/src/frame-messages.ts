/**
 * A frame as the NATS messages that carry it. NATS refuses a message whose headers plus payload
 * exceed the server's max_payload (1 MB by default), and an H.264 I-frame from a 4K camera can
 * be bigger. Such a frame is cut into pieces that each fit, with the frame's own headers on every
 * piece plus `Jt1078-Chunk: <index>/<count>` and a per-piece `Nats-Msg-Id` (`<frame id>-<index>`,
 * so JetStream's de-duplication keeps every piece). Pieces of one frame are published back to
 * back on the frame's subject; ChunkReassembler puts them together again.
 */
import { FrameHeader, MalformedEnvelope, frameHeaders, type FrameEnvelope } from './frame-envelope.js';

export interface WireMessage {
  readonly headers: ReadonlyMap<string, string>;
  readonly data: Uint8Array;
}

/** `NATS/1.0\r\n` opens a header block and `\r\n` closes it (NATS protocol, HPUB). */
const HEADER_BLOCK_OVERHEAD = 12;
/** Added per header line: `: ` and `\r\n`. */
const HEADER_LINE_OVERHEAD = 4;
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

const utf8 = new TextEncoder();

export function headerBytes(headers: ReadonlyMap<string, string>): number {
  let n = HEADER_BLOCK_OVERHEAD;
  for (const [k, v] of headers) n += utf8.encode(k).length + utf8.encode(v).length + HEADER_LINE_OVERHEAD;
  return n;
}

/** One message when the frame fits in `maxPayload` (headers included), otherwise its chunks. */
export function frameMessages(frame: FrameEnvelope, maxPayload: number): WireMessage[] {
  const headers = frameHeaders(frame);
  const base = headerBytes(headers);
  if (base + frame.data.length <= maxPayload) return [{ headers, data: frame.data }];
  const room = maxPayload - base - CHUNK_HEADER_RESERVE;
  if (room < MIN_CHUNK_BYTES) {
    throw new MalformedEnvelope(`max_payload ${maxPayload} leaves ${room} bytes per chunk after ${base} bytes of headers (need ${MIN_CHUNK_BYTES})`);
  }
  const count = Math.ceil(frame.data.length / room);
  const id = headers.get(FrameHeader.msgId)!;
  const out: WireMessage[] = [];
  for (let i = 0; i < count; i++) {
    const h = new Map(headers);
    h.set(FrameHeader.chunk, `${i}/${count}`);
    h.set(FrameHeader.msgId, `${id}-${i}`);
    out.push({ headers: h, data: frame.data.subarray(i * room, Math.min(frame.data.length, (i + 1) * room)) });
  }
  return out;
}
