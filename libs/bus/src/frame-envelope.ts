/**
 * A frame on the bus: the codec bytes as the payload, everything else in NATS headers, so any
 * NATS client can read a stream without our code (README: "NATS subjects and headers").
 */
import type { StreamKind } from './subjects.js';

export interface FrameEnvelope {
  readonly streamKind: StreamKind;
  readonly sim: string;
  readonly channel: number;
  /** Codec name as DESIGN.md lists them (h264, g711a …). */
  readonly codec: string;
  readonly mediaKind: 'video' | 'audio';
  readonly keyFrame: boolean;
  /** ms from the stream's start, monotonic per track. */
  readonly timestamp: number;
  /** Frame number in the stream, from 0. */
  readonly sequence: number;
  readonly connectionId: string;
  readonly streamPath: string;
  readonly data: Uint8Array;
}

/** Header names; `Nats-Msg-Id` is NATS's own (JetStream de-duplication). */
export const FrameHeader = {
  codec: 'Jt1078-Codec',
  media: 'Jt1078-Media',
  key: 'Jt1078-Key',
  timestamp: 'Jt1078-Ts',
  sequence: 'Jt1078-Seq',
  connection: 'Jt1078-Conn',
  stream: 'Jt1078-Stream',
  /** `<index>/<count>` when a frame above max_payload is carried in pieces. */
  chunk: 'Jt1078-Chunk',
  msgId: 'Nats-Msg-Id',
} as const;

export type HeaderMap = ReadonlyMap<string, string>;

export function frameHeaders(f: FrameEnvelope): Map<string, string> {
  return new Map([
    [FrameHeader.codec, f.codec],
    [FrameHeader.media, f.mediaKind],
    [FrameHeader.key, f.keyFrame ? '1' : '0'],
    [FrameHeader.timestamp, String(f.timestamp)],
    [FrameHeader.sequence, String(f.sequence)],
    [FrameHeader.connection, f.connectionId],
    [FrameHeader.stream, f.streamPath],
    [FrameHeader.msgId, `${f.connectionId}-${f.sim}-${f.channel}-${f.sequence}`],
  ]);
}

export class MalformedEnvelope extends Error {
  override readonly name = 'MalformedEnvelope';
  readonly kind = 'malformed-envelope';
}

/** Reads a frame back from its subject, headers and payload. */
export function frameFromMessage(subject: string, headers: HeaderMap, data: Uint8Array): FrameEnvelope {
  const parts = subject.split('.');
  const [kind, sim, channel] = parts.slice(-3);
  const get = (name: string) => {
    const v = headers.get(name);
    if (v === undefined) throw new MalformedEnvelope(`frame on ${subject} has no ${name} header`);
    return v;
  };
  const media = get(FrameHeader.media);
  if (media !== 'video' && media !== 'audio') throw new MalformedEnvelope(`bad ${FrameHeader.media} '${media}'`);
  if (kind !== 'live' && kind !== 'playback' && kind !== 'talk') throw new MalformedEnvelope(`subject ${subject} is not a media subject`);
  return {
    streamKind: kind,
    sim: sim!,
    channel: Number(channel),
    codec: get(FrameHeader.codec),
    mediaKind: media,
    keyFrame: get(FrameHeader.key) === '1',
    timestamp: Number(get(FrameHeader.timestamp)),
    sequence: Number(get(FrameHeader.sequence)),
    connectionId: get(FrameHeader.connection),
    streamPath: get(FrameHeader.stream),
    data,
  };
}
