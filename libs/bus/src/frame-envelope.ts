/**
 * A frame on the bus: the codec bytes as the payload, everything else in NATS headers, so any
 * NATS client can read a stream without our code (README: "NATS subjects and headers"):
 *
 *     HPUB jt1078.media.live.295696659617.1
 *     Jt1078-Codec: h264          Jt1078-Media: video     Jt1078-Key: 1
 *     Jt1078-Ts: 4212             Jt1078-Seq: 101         Jt1078-Conn: <connection id>
 *     Jt1078-Stream: live/jt1078-295696659617-1
 *     Nats-Msg-Id: <connection id>-<sim>-<channel>-<seq>
 *     [Jt1078-Segment: <msn>      on the key frame that opens HLS segment <msn>, see below]
 *     [Jt1078-Discontinuity: <n>  with it: the segment's discontinuity sequence number]
 *     [Jt1078-Chunk: <index>/<count>   only on frames cut into pieces, see frame-messages.ts]
 *
 * The segment headers, their names and the numbering they carry belong to libs/numbering.
 */
import { isAudioCodec, isVideoCodec, type CodecName } from '@jt1078/media';
import { SegmentHeader } from '@jt1078/numbering';
import { STREAM_KINDS, checkChannel, checkSim, type StreamKind } from './subjects.js';

export interface FrameEnvelope {
  readonly streamKind: StreamKind;
  readonly sim: string;
  readonly channel: number;
  /** Codec name as DESIGN.md lists them (h264, g711a …); a frame naming another is refused on reading (UnknownCodec). */
  readonly codec: CodecName;
  readonly mediaKind: 'video' | 'audio';
  readonly keyFrame: boolean;
  /** Integer ms from the stream's start, monotonic per track. */
  readonly timestamp: number;
  /** Frame number in the stream (per connection), from 0. */
  readonly sequence: number;
  readonly connectionId: string;
  readonly streamPath: string;
  /**
   * Set on the frame that opens an HLS segment: its media sequence number (libs/numbering
   * SegmentMark). The ingest, the one writer that sees a stream from its first frame, decides
   * segment boundaries so that every packager replica (and one that starts late or restarts)
   * cuts the same segments with the same numbers (DESIGN.md: boundaries derived from the
   * stream's own data).
   */
  readonly segment?: number;
  /**
   * With `segment`: the segment's discontinuity sequence number. It grows by one with each
   * connection of a device under the same stream name (timestamps start over), so a packager
   * keeps one playlist across reconnects, with EXT-X-DISCONTINUITY where they happened.
   */
  readonly discontinuity?: number;
  readonly data: Uint8Array;
}

/** Header names; `Nats-Msg-Id` is NATS's own (JetStream de-duplication). */
export const FrameHeader = {
  codec: 'Jt1078-Codec',
  media: 'Jt1078-Media',
  /** `1` on a key frame (IDR access unit), `0` otherwise. */
  key: 'Jt1078-Key',
  timestamp: 'Jt1078-Ts',
  sequence: 'Jt1078-Seq',
  connection: 'Jt1078-Conn',
  stream: 'Jt1078-Stream',
  /** Media sequence number of the HLS segment this frame opens (only on such frames). */
  segment: SegmentHeader.segment,
  /** Discontinuity sequence number of the segment this frame opens (only on such frames). */
  discontinuity: SegmentHeader.discontinuity,
  /** `<index>/<count>` when a frame above max_payload is carried in pieces. */
  chunk: 'Jt1078-Chunk',
  msgId: 'Nats-Msg-Id',
} as const;

export type HeaderMap = ReadonlyMap<string, string>;

export class MalformedEnvelope extends Error {
  override readonly name = 'MalformedEnvelope';
  readonly kind = 'malformed-envelope';
  constructor(
    message: string,
    readonly subject?: string,
  ) {
    super(message);
  }
}

/**
 * A frame whose codec header names no codec DESIGN.md lists: nothing downstream could decode it,
 * so the subscriber drops it, counted as `unknown-codec` (bus-stats.ts), instead of passing a
 * name no type admits.
 */
export class UnknownCodec extends Error {
  override readonly name = 'UnknownCodec';
  readonly kind = 'unknown-codec';
  constructor(
    readonly codec: string,
    readonly subject?: string,
  ) {
    super(`unknown ${FrameHeader.codec} '${codec}'${subject === undefined ? '' : ` on ${subject}`}`);
  }
}

/** Unique per frame across the cluster: JetStream drops a re-sent copy within its duplicate window. */
export function frameMessageId(f: Pick<FrameEnvelope, 'connectionId' | 'sim' | 'channel' | 'sequence'>): string {
  return `${f.connectionId}-${f.sim}-${f.channel}-${f.sequence}`;
}

/** Header values are one line of text (NATS/1.0 header block): no CR/LF; trimmed, as nats.js trims them on the wire. */
function headerValue(name: string, v: string): string {
  if (/[\r\n]/.test(v)) throw new MalformedEnvelope(`${name} must not contain a line break`);
  return v.trim();
}

function nonNegativeInteger(name: string, v: number): string {
  if (!Number.isSafeInteger(v) || v < 0) throw new MalformedEnvelope(`${name} must be a non-negative integer, got ${v}`);
  return String(v);
}

/** A chunk's place in its frame (frame-messages.ts). */
export interface ChunkPosition {
  readonly index: number;
  readonly count: number;
}

/**
 * The NATS header block of a frame (or of one chunk of it), as the text nats.js puts on the wire
 * for frameHeaders(f) — `NATS/1.0`, one `<name>: <value>` line per header in the same order (a
 * chunk's `Jt1078-Chunk` last, its index appended to `Nats-Msg-Id`), a blank line — built as
 * one string: a Map and a nats.js MsgHdrs per frame (with its per-key validation) cost a
 * publish more than the socket write (docs/benchmarks.md, ingest).
 */
export function frameHeaderBlock(f: FrameEnvelope, chunk?: ChunkPosition): string {
  const codec = headerValue(FrameHeader.codec, f.codec);
  const connection = headerValue(FrameHeader.connection, f.connectionId);
  const stream = headerValue(FrameHeader.stream, f.streamPath);
  let block =
    `NATS/1.0\r\n${FrameHeader.codec}: ${codec}\r\n${FrameHeader.media}: ${f.mediaKind}\r\n${FrameHeader.key}: ${f.keyFrame ? '1' : '0'}\r\n` +
    `${FrameHeader.timestamp}: ${nonNegativeInteger(FrameHeader.timestamp, f.timestamp)}\r\n${FrameHeader.sequence}: ${nonNegativeInteger(FrameHeader.sequence, f.sequence)}\r\n` +
    `${FrameHeader.connection}: ${connection}\r\n${FrameHeader.stream}: ${stream}\r\n` +
    `${FrameHeader.msgId}: ${frameMessageId(f).trim()}${chunk ? `-${chunk.index}` : ''}\r\n`;
  if (f.segment !== undefined) block += `${FrameHeader.segment}: ${nonNegativeInteger(FrameHeader.segment, f.segment)}\r\n`;
  if (f.discontinuity !== undefined) block += `${FrameHeader.discontinuity}: ${nonNegativeInteger(FrameHeader.discontinuity, f.discontinuity)}\r\n`;
  if (chunk) block += `${FrameHeader.chunk}: ${chunk.index}/${chunk.count}\r\n`;
  return `${block}\r\n`;
}

/** The headers of frameHeaderBlock(f) by name, as a subscriber reads them. */
export function frameHeaders(f: FrameEnvelope, chunk?: ChunkPosition): Map<string, string> {
  return parseHeaderBlock(frameHeaderBlock(f, chunk));
}

const utf8Decoder = new TextDecoder();

/** Reads a `NATS/1.0` header block back (the inverse of frameHeaderBlock; the first value of a repeated name). */
export function parseHeaderBlock(block: string | Uint8Array): Map<string, string> {
  const headers = new Map<string, string>();
  const lines = (typeof block === 'string' ? block : utf8Decoder.decode(block)).split('\r\n');
  if (!lines[0]?.startsWith('NATS/1.0')) throw new MalformedEnvelope(`not a NATS header block: '${lines[0] ?? ''}'`);
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !headers.has(line.slice(0, colon))) headers.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return headers;
}

/**
 * Reads a frame back from its subject (`….media.<kind>.<sim>.<channel>`), headers and payload.
 * Throws MalformedEnvelope, or UnknownCodec for a codec name outside the union.
 */
export function frameFromMessage(subject: string, headers: HeaderMap, data: Uint8Array): FrameEnvelope {
  const tokens = subject.split('.');
  const [media, kind, sim, channel] = tokens.slice(-4);
  if (media !== 'media' || !STREAM_KINDS.includes(kind as StreamKind) || sim === undefined || channel === undefined) {
    throw new MalformedEnvelope(`${subject} is not a media subject`, subject);
  }
  const get = (name: string) => {
    const v = headers.get(name);
    if (v === undefined) throw new MalformedEnvelope(`frame on ${subject} has no ${name} header`, subject);
    return v;
  };
  const integer = (name: string) => {
    const text = get(name);
    const v = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(v)) throw new MalformedEnvelope(`${name} '${text}' on ${subject} is not a non-negative integer`, subject);
    return v;
  };
  const codec = get(FrameHeader.codec);
  if (!isVideoCodec(codec) && !isAudioCodec(codec)) throw new UnknownCodec(codec, subject);
  const mediaKind = get(FrameHeader.media);
  if (mediaKind !== 'video' && mediaKind !== 'audio') throw new MalformedEnvelope(`bad ${FrameHeader.media} '${mediaKind}' on ${subject}`, subject);
  let channelNumber: number;
  try {
    checkSim(sim);
    channelNumber = checkChannel(Number(channel));
  } catch (err) {
    throw new MalformedEnvelope(`${subject}: ${(err as Error).message}`, subject);
  }
  return {
    streamKind: kind as StreamKind,
    sim,
    channel: channelNumber,
    codec,
    mediaKind,
    keyFrame: get(FrameHeader.key) === '1',
    timestamp: integer(FrameHeader.timestamp),
    sequence: integer(FrameHeader.sequence),
    connectionId: get(FrameHeader.connection),
    streamPath: get(FrameHeader.stream),
    ...(headers.has(FrameHeader.segment) ? { segment: integer(FrameHeader.segment) } : {}),
    ...(headers.has(FrameHeader.discontinuity) ? { discontinuity: integer(FrameHeader.discontinuity) } : {}),
    data,
  };
}
