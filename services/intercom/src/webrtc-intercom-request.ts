/**
 * The body of `POST /api/v1/intercom`, as m7s-jt1078 takes it: a browser's SDP offer plus the
 * devices to talk to and the codec they play (its `Request` struct: pion's SessionDescription
 * with `group` and `enterAudioEncoding` beside it):
 *
 *     { "type": "offer", "sdp": "v=0…", "enterAudioEncoding": 6,
 *       "group": [ { "sim": "295696659617", "channel": 1, "audioPort": 12022 } ] }
 *
 * m7s-jt1078's own page sends no `type` (the plugin sets it to offer), so it may be absent;
 * `enterAudioEncoding` absent or 0 is 6 (G.711A). Several group members are a broadcast. Every
 * problem names the field, so a client learns what to fix from the 400 alone.
 */
import { checkChannel, checkSim } from '@jt1078/bus';
import { DEFAULT_TALK_ENCODING, TALK_CODECS, talkCodecOfEncoding, type TalkCodec } from './webrtc-talk-codec.js';
import { echoValue } from '@jt1078/runtime/http';

export class IntercomRequestInvalid extends Error {
  override readonly name = 'IntercomRequestInvalid';
  readonly kind = 'intercom-request-invalid';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

export interface TalkMember {
  readonly sim: string;
  readonly channel: number;
  /** The leased port the device was sent to (0x9101); carried for the device side and logs. */
  readonly audioPort: number;
}

export interface IntercomRequest {
  readonly sdp: string;
  readonly group: readonly TalkMember[];
  readonly codec: TalkCodec;
}

/** An SDP offer is a few KB; this bounds what one request can make us parse. */
export const MAX_OFFER_SDP_BYTES = 64 * 1024;
/** Devices one broadcast reaches: each RTP packet is published once per member. */
export const MAX_GROUP_MEMBERS = 64;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function member(v: unknown, i: number): TalkMember {
  const field = `group[${i}]`;
  if (!isRecord(v)) throw new IntercomRequestInvalid(field, 'expected an object {sim, channel, audioPort}');
  const { sim, channel, audioPort } = v;
  if (typeof sim !== 'string') throw new IntercomRequestInvalid(`${field}.sim`, 'expected a string of digits (leading zeros kept)');
  try {
    checkSim(sim);
  } catch {
    throw new IntercomRequestInvalid(`${field}.sim`, `'${echoValue(sim)}' is not 1 to 20 digits`);
  }
  if (typeof channel !== 'number') throw new IntercomRequestInvalid(`${field}.channel`, 'expected a number');
  try {
    checkChannel(channel);
  } catch {
    throw new IntercomRequestInvalid(`${field}.channel`, `${channel} is not a logical channel (an integer 0 to 255)`);
  }
  if (typeof audioPort !== 'number' || !Number.isInteger(audioPort) || audioPort < 1 || audioPort > 65535) {
    throw new IntercomRequestInvalid(`${field}.audioPort`, `expected the leased port (an integer 1 to 65535), got ${echoValue(JSON.stringify(audioPort))}`);
  }
  return { sim, channel, audioPort };
}

export function parseIntercomRequest(body: unknown): IntercomRequest {
  if (!isRecord(body)) throw new IntercomRequestInvalid('body', 'expected a JSON object {type, sdp, group, enterAudioEncoding}');
  if (body['type'] !== undefined && body['type'] !== 'offer') throw new IntercomRequestInvalid('type', `expected "offer", got ${echoValue(JSON.stringify(body['type']))}`);
  const sdp = body['sdp'];
  if (typeof sdp !== 'string' || sdp.trim() === '') throw new IntercomRequestInvalid('sdp', 'expected the SDP offer as a string');
  if (Buffer.byteLength(sdp) > MAX_OFFER_SDP_BYTES) throw new IntercomRequestInvalid('sdp', `larger than ${MAX_OFFER_SDP_BYTES} bytes`);
  const group = body['group'];
  if (!Array.isArray(group) || group.length === 0) throw new IntercomRequestInvalid('group', 'expected a non-empty array of {sim, channel, audioPort}');
  if (group.length > MAX_GROUP_MEMBERS) throw new IntercomRequestInvalid('group', `${group.length} members, at most ${MAX_GROUP_MEMBERS}`);
  const members = group.map(member);
  const seen = new Map<string, number>();
  members.forEach((m, i) => {
    const key = `${m.sim.replace(/^0+/, '')}/${m.channel}`;
    const first = seen.get(key);
    if (first !== undefined) throw new IntercomRequestInvalid(`group[${i}]`, `the same device and channel as group[${first}]`);
    seen.set(key, i);
  });
  const encoding = body['enterAudioEncoding'] ?? 0;
  const codec = typeof encoding === 'number' ? talkCodecOfEncoding(encoding === 0 ? DEFAULT_TALK_ENCODING : encoding) : undefined;
  if (!codec) {
    const choices = Object.values(TALK_CODECS).map((c) => `${c.encoding} ${c.rtpName}`).join(', ');
    throw new IntercomRequestInvalid('enterAudioEncoding', `${echoValue(JSON.stringify(encoding))} is not supported (${choices}; default 6)`);
  }
  return { sdp, group: members, codec };
}
