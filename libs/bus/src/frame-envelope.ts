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
 *     [Jt1078-Chunk: <index>/<count>   only on frames cut into pieces, see frame-messages.ts]
 */
import { STREAM_KINDS, checkChannel, checkSim, type StreamKind } from './subjects.js';

export interface FrameEnvelope {
  readonly streamKind: StreamKind;
  readonly sim: string;
  readonly channel: number;
  /** Codec name as DESIGN.md lists them (h264, g711a …). */
  readonly codec: string;
  readonly mediaKind: 'video' | 'audio';
  readonly keyFrame: boolean;
  /** Integer ms from the stream's start, monotonic per track. */
  readonly timestamp: number;
  /** Frame number in the stream (per connection), from 0. */
  readonly sequence: number;
  readonly connectionId: string;
  readonly streamPath: string;
  /**
   * Set on the frame that opens an HLS segment: its media sequence number. The ingest, the one
   * writer that sees a stream from its first frame, decides segment boundaries so that every
   * packager replica (and one that starts late or restarts) cuts the same segments with the same
   * numbers (DESIGN.md: boundaries derived from the stream's own data).
   */
  readonly segment?: number;
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
  segment: 'Jt1078-Segment',
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

/** Unique per frame across the cluster: JetStream drops a re-sent copy within its duplicate window. */
export function frameMessageId(f: Pick<FrameEnvelope, 'connectionId' | 'sim' | 'channel' | 'sequence'>): string {
  return `${f.connectionId}-${f.sim}-${f.channel}-${f.sequence}`;
}

/** Header values are one line of text (NATS/1.0 header block): no CR/LF. */
function headerValue(name: string, v: string): string {
  if (/[\r\n]/.test(v)) throw new MalformedEnvelope(`${name} must not contain a line break`);
  return v;
}

function nonNegativeInteger(name: string, v: number): string {
  if (!Number.isSafeInteger(v) || v < 0) throw new MalformedEnvelope(`${name} must be a non-negative integer, got ${v}`);
  return String(v);
}

export function frameHeaders(f: FrameEnvelope): Map<string, string> {
  const headers = new Map<string, string>([
    [FrameHeader.codec, headerValue(FrameHeader.codec, f.codec)],
    [FrameHeader.media, f.mediaKind],
    [FrameHeader.key, f.keyFrame ? '1' : '0'],
    [FrameHeader.timestamp, nonNegativeInteger(FrameHeader.timestamp, f.timestamp)],
    [FrameHeader.sequence, nonNegativeInteger(FrameHeader.sequence, f.sequence)],
    [FrameHeader.connection, headerValue(FrameHeader.connection, f.connectionId)],
    [FrameHeader.stream, headerValue(FrameHeader.stream, f.streamPath)],
    [FrameHeader.msgId, frameMessageId(f)],
  ]);
  if (f.segment !== undefined) headers.set(FrameHeader.segment, nonNegativeInteger(FrameHeader.segment, f.segment));
  return headers;
}

/** Reads a frame back from its subject (`….media.<kind>.<sim>.<channel>`), headers and payload. */
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
    codec: get(FrameHeader.codec),
    mediaKind,
    keyFrame: get(FrameHeader.key) === '1',
    timestamp: integer(FrameHeader.timestamp),
    sequence: integer(FrameHeader.sequence),
    connectionId: get(FrameHeader.connection),
    streamPath: get(FrameHeader.stream),
    ...(headers.has(FrameHeader.segment) ? { segment: integer(FrameHeader.segment) } : {}),
    data,
  };
}
