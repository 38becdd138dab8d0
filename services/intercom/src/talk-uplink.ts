/**
 * What a device sends up its intercom connection, bytes to bus frames: StreamDemuxer →
 * FrameAssembler → one FrameEnvelope per audio frame, streamKind `talk`, HiSilicon header
 * removed (the assembler does it, as for the ingest). A pure core over bytes: the connection
 * feeds it reads and publishes what comes out.
 *
 * The frames go out under the lease's SIM and channel, whatever the packets say: the port is
 * bound to the lease, and the browser side listens on the lease's subject. A device whose
 * packets name another SIM or channel (zero-padded differently, or a separate talk channel) is
 * reported once. Timestamps are by arrival (a live link, as the ingest times realtime streams),
 * in ms since the connection opened, and only grow; sequence numbers count frames from 0.
 */
import type { FrameEnvelope } from '@jt1078/bus';
import { FrameAssembler, StreamDemuxer, type AssembledFrame, type Revision, type StreamFault } from '@jt1078/jt1078';
import type { TalkTarget } from './talk-packetizer.js';

export const UplinkDropReason = {
  /** Video or passthrough data on an audio port: not talk audio. */
  notAudio: 'not-audio',
  /** An audio payload type table 12 does not list. */
  unknownCodec: 'unknown-codec',
} as const;
export type UplinkDropReason = (typeof UplinkDropReason)[keyof typeof UplinkDropReason];

export interface TalkUplinkOptions {
  readonly target: TalkTarget;
  readonly connectionId: string;
  /** Jt1078-Stream of every frame, e.g. `talk/<sim>-<channel>`. */
  readonly streamPath: string;
  readonly onFrame: (frame: FrameEnvelope) => void;
  readonly onFault: (fault: StreamFault) => void;
  readonly onDrop: (reason: UplinkDropReason, frame: AssembledFrame) => void;
  /** The first packet naming a SIM or channel other than the lease's (once per connection). */
  readonly onMismatch?: (found: { readonly sim: string; readonly channel: number }) => void;
  /** Every audio frame as the device sent it (its codec and own timestamp), before it is published. */
  readonly onDeviceAudio?: (frame: AssembledFrame) => void;
}

/** `013800138000` and `13800138000` are one SIM: BCD pads with zeros (table 19). */
const sameSim = (a: string, b: string) => a.replace(/^0+/, '') === b.replace(/^0+/, '');

export class TalkUplink {
  readonly #demuxer: StreamDemuxer;
  readonly #assembler: FrameAssembler;
  #sequence = 0;
  #lastTimestamp = -1;
  #nowMs = 0;
  #mismatchReported = false;

  constructor(private readonly opts: TalkUplinkOptions) {
    this.#assembler = new FrameAssembler({ onFault: opts.onFault });
    this.#demuxer = new StreamDemuxer({
      onFault: opts.onFault,
      onPacket: (packet) => {
        for (const frame of this.#assembler.push(packet)) this.#frame(frame);
      },
    });
  }

  /** The revision the device speaks, once the demuxer has seen it. */
  get revision(): Revision | undefined {
    return this.#demuxer.revision;
  }

  get framesPublished(): number {
    return this.#sequence;
  }

  get packets(): number {
    return this.#demuxer.stats.packets;
  }

  /** Bytes held for an incomplete packet or frame (bounded by the demuxer and assembler). */
  get bufferedBytes(): number {
    return this.#demuxer.bufferedBytes + this.#assembler.bufferedBytes;
  }

  /** One read from the device, arriving at `nowMs` (ms since the connection opened). */
  push(bytes: Uint8Array, nowMs: number): void {
    this.#nowMs = nowMs;
    this.#demuxer.push(bytes);
  }

  end(): void {
    this.#demuxer.end();
    this.#assembler.end();
  }

  #frame(frame: AssembledFrame): void {
    const o = this.opts;
    if (!this.#mismatchReported && (!sameSim(frame.sim, o.target.sim) || frame.channel !== o.target.channel)) {
      this.#mismatchReported = true;
      o.onMismatch?.({ sim: frame.sim, channel: frame.channel });
    }
    if (frame.kind !== 'audio') return o.onDrop(UplinkDropReason.notAudio, frame);
    if (frame.codec === undefined) return o.onDrop(UplinkDropReason.unknownCodec, frame);
    o.onDeviceAudio?.(frame);
    const timestamp = Math.max(Math.round(this.#nowMs), this.#lastTimestamp + 1);
    this.#lastTimestamp = timestamp;
    o.onFrame({
      streamKind: 'talk',
      sim: o.target.sim,
      channel: o.target.channel,
      codec: frame.codec,
      mediaKind: 'audio',
      keyFrame: true,
      timestamp,
      sequence: this.#sequence++,
      connectionId: o.connectionId,
      streamPath: o.streamPath,
      data: frame.data,
    });
  }
}
