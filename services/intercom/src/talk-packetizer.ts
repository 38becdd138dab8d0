/**
 * Browser audio (TalkAudio from `talk.down.<sim>.<channel>`) to the JT1078 packets a device
 * plays, for one device connection: JT/T 1078-2016 table 19 with data type 3 (audio), PT from
 * the codec (table 12: 6 G.711A, 7 G.711U, 2 G.722 …), the lease's SIM and channel, one
 * sequence counter per connection and ms timestamps that only grow.
 *
 * Timestamps: each talk session (a WebRTC peer) numbers its audio from its own start; several
 * sessions may talk to one device one after another (or at once, a broadcast). Each session's
 * clock is anchored to the connection's clock at its first packet, so the spacing the browser
 * sent is kept and a new session continues where the last one ended instead of starting at 0.
 */
import type { TalkAudio } from '@jt1078/bus';
import { DataType, PAYLOAD_TYPE_OF, PacketEncoder, type Revision } from '@jt1078/jt1078';
import { isAudioCodec } from '@jt1078/media';

export const TalkDropReason = {
  /** Not an audio codec table 12 lists. */
  unknownCodec: 'unknown-codec',
  empty: 'empty',
} as const;
export type TalkDropReason = (typeof TalkDropReason)[keyof typeof TalkDropReason];

/** A session clock further than this from the connection's is anchored again (a jump, or a stalled browser). */
const MAX_SKEW_MS = 1000;
/** Session anchors kept per connection (a broadcast has a few talkers; old ones are forgotten). */
const MAX_SESSIONS = 64;

export interface TalkTarget {
  readonly sim: string;
  readonly channel: number;
}

export class TalkPacketizer {
  #encoder: PacketEncoder;
  readonly #anchors = new Map<string, number>();
  #lastTimestamp = -1;

  constructor(
    readonly target: TalkTarget,
    revision?: Revision,
  ) {
    this.#encoder = new PacketEncoder({ sim: target.sim, revision: revision ?? defaultRevision(target.sim) });
  }

  get revision(): Revision {
    return this.#encoder.revision;
  }

  /** The sequence number of the next packet. */
  get nextSequence(): number {
    return this.#encoder.nextSequence;
  }

  /** Follow the revision the device itself speaks (seen on its uplink); the sequence continues. */
  useRevision(revision: Revision): void {
    if (revision === this.#encoder.revision || (revision === '2016' && this.target.sim.length > 12)) return;
    this.#encoder = new PacketEncoder({ sim: this.target.sim, revision, firstSequence: this.#encoder.nextSequence });
  }

  /** The packets for one piece of talk audio arriving at `nowMs` (the connection's clock, ms), or why it cannot be sent. */
  packetize(audio: TalkAudio, nowMs: number): Uint8Array[] | TalkDropReason {
    if (!isAudioCodec(audio.codec)) return TalkDropReason.unknownCodec;
    if (audio.data.length === 0) return TalkDropReason.empty;
    return this.#encoder.encode({
      channel: this.target.channel,
      dataType: DataType.audio,
      payloadType: PAYLOAD_TYPE_OF[audio.codec],
      timestamp: this.#stamp(audio, Math.round(nowMs)),
      data: audio.data,
    });
  }

  #stamp(audio: TalkAudio, now: number): number {
    let offset = this.#anchors.get(audio.sessionId);
    if (offset === undefined || Math.abs(audio.timestamp + offset - now) > MAX_SKEW_MS) {
      offset = now - audio.timestamp;
      this.#anchors.delete(audio.sessionId);
      if (this.#anchors.size >= MAX_SESSIONS) this.#anchors.delete(this.#anchors.keys().next().value!);
      this.#anchors.set(audio.sessionId, offset);
    }
    const t = Math.max(audio.timestamp + offset, this.#lastTimestamp + 1, 0);
    this.#lastTimestamp = t;
    return t;
  }
}

/** A SIM longer than BCD[6] holds fits only the 2019 revision's BCD[10]. */
function defaultRevision(sim: string): Revision {
  return sim.length > 12 ? '2019' : '2016';
}
