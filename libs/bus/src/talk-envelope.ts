/**
 * Browser audio on its way to a device (`<root>.talk.down.<sim>.<channel>`): the intercom pod
 * that holds the WebRTC session publishes, the pod that holds the device's leased TCP port
 * subscribes. Like frames, the payload is the codec bytes and the rest is in headers; no
 * JetStream: late talk audio is useless, so it is core NATS only.
 */
import { FrameHeader, MalformedEnvelope, type HeaderMap } from './frame-envelope.js';
import { checkChannel, checkSim } from './subjects.js';

export interface TalkAudio {
  readonly sim: string;
  readonly channel: number;
  /** g711a, g711u, g722 … (the m7s-jt1078 `enterAudioEncoding` choices). */
  readonly codec: string;
  /** Integer ms, monotonic within the session. */
  readonly timestamp: number;
  /** Packet number within the session, from 0. */
  readonly sequence: number;
  /** The talk session (WebRTC peer) the audio comes from. */
  readonly sessionId: string;
  readonly data: Uint8Array;
}

export const TalkHeader = {
  codec: FrameHeader.codec,
  timestamp: FrameHeader.timestamp,
  sequence: FrameHeader.sequence,
  session: 'Jt1078-Session',
} as const;

export function talkHeaders(a: TalkAudio): Map<string, string> {
  for (const [name, v] of [[TalkHeader.timestamp, a.timestamp], [TalkHeader.sequence, a.sequence]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new MalformedEnvelope(`${name} must be a non-negative integer, got ${v}`);
  }
  if (/[\r\n]/.test(a.codec + a.sessionId)) throw new MalformedEnvelope('talk codec and session id must not contain line breaks');
  return new Map([
    [TalkHeader.codec, a.codec],
    [TalkHeader.timestamp, String(a.timestamp)],
    [TalkHeader.sequence, String(a.sequence)],
    [TalkHeader.session, a.sessionId],
  ]);
}

/** Reads talk audio back from `….talk.down.<sim>.<channel>`, its headers and payload. */
export function talkFromMessage(subject: string, headers: HeaderMap, data: Uint8Array): TalkAudio {
  const [talk, down, sim, channel] = subject.split('.').slice(-4);
  if (talk !== 'talk' || down !== 'down' || sim === undefined || channel === undefined) throw new MalformedEnvelope(`${subject} is not a talk subject`, subject);
  const get = (name: string) => {
    const v = headers.get(name);
    if (v === undefined) throw new MalformedEnvelope(`talk audio on ${subject} has no ${name} header`, subject);
    return v;
  };
  const integer = (name: string) => {
    const text = get(name);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new MalformedEnvelope(`${name} '${text}' on ${subject} is not a non-negative integer`, subject);
    return Number(text);
  };
  try {
    checkSim(sim);
    checkChannel(Number(channel));
  } catch (err) {
    throw new MalformedEnvelope(`${subject}: ${(err as Error).message}`, subject);
  }
  return {
    sim,
    channel: Number(channel),
    codec: get(TalkHeader.codec),
    timestamp: integer(TalkHeader.timestamp),
    sequence: integer(TalkHeader.sequence),
    sessionId: get(TalkHeader.session),
    data,
  };
}
