/**
 * Browser RTP to the timing of TalkAudio, for one talk session: `timestamp` in ms from the RTP
 * timestamp (8000 Hz clock for all talk codecs, see webrtc-talk-codec.ts), never going back,
 * and `sequence` counting the packets passed on from 0. A device plays packets in the order it
 * gets them, so a packet that arrives after a later one (RTP sequence behind, RFC 3550 A.1
 * arithmetic modulo 2^16) is dropped, as is a duplicate; both are counted by the caller. A new
 * SSRC (the page replaced its microphone track) continues the session's clock one packet
 * later instead of starting again at 0.
 */
import { RTP_CLOCK_RATE } from './webrtc-talk-codec.js';

export const DownlinkDrop = {
  /** The RTP sequence number is behind one already passed on: it came too late. */
  late: 'late',
  duplicate: 'duplicate',
} as const;
export type DownlinkDrop = (typeof DownlinkDrop)[keyof typeof DownlinkDrop];

export interface DownlinkTiming {
  readonly timestamp: number;
  readonly sequence: number;
}

export interface RtpTiming {
  readonly ssrc: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
}

const TICKS_PER_MS = RTP_CLOCK_RATE / 1000;
/** Where a new SSRC starts, after the last packet of the old one: one 20 ms packet. */
const RESTART_GAP_MS = 20;

/** a - b for 16-bit sequence numbers, in -32768..32767. */
function seqDelta(a: number, b: number): number {
  return ((a - b + 0x18000) % 0x10000) - 0x8000;
}

/** a - b for 32-bit RTP timestamps, in -2^31..2^31-1. */
function tsDelta(a: number, b: number): number {
  return ((a - b + 0x1_8000_0000) % 0x1_0000_0000) - 0x8000_0000;
}

export class DownlinkClock {
  #ssrc: number | undefined;
  #lastSeq = 0;
  #lastTs = 0;
  /** Ticks since this SSRC's first packet. */
  #ticks = 0;
  /** ms at this SSRC's first packet. */
  #originMs = 0;
  #lastMs = -1;
  #sequence = 0;

  /** Timing for `rtp`, or why it is not passed on. */
  next(rtp: RtpTiming): DownlinkTiming | DownlinkDrop {
    if (rtp.ssrc !== this.#ssrc) {
      this.#originMs = this.#lastMs < 0 ? 0 : this.#lastMs + RESTART_GAP_MS;
      this.#ssrc = rtp.ssrc;
      this.#ticks = 0;
    } else {
      const d = seqDelta(rtp.sequenceNumber, this.#lastSeq);
      if (d === 0) return DownlinkDrop.duplicate;
      if (d < 0) return DownlinkDrop.late;
      // A sender may leave the timestamp alone or step it back (a broken clock); time only grows.
      this.#ticks += Math.max(0, tsDelta(rtp.timestamp, this.#lastTs));
    }
    this.#lastSeq = rtp.sequenceNumber;
    this.#lastTs = rtp.timestamp;
    const ms = Math.max(this.#lastMs, this.#originMs + Math.floor(this.#ticks / TICKS_PER_MS));
    this.#lastMs = ms;
    return { timestamp: ms, sequence: this.#sequence++ };
  }
}
