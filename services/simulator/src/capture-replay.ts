/**
 * Turns a capture into the packet sequence one simulated device sends: its packets in order,
 * re-encoded with this device's SIM/channel, continuing sequence numbers, and timestamps that
 * keep increasing across loops (a looping device looks like one long stream, not a replay).
 * Pure: the socket side (SimulatedDevice) only writes what `next()` returns, when it says.
 */
import {
  DataType,
  StreamDemuxer,
  Subpackage,
  concatBytes,
  encodePacket,
  type Jt1078Packet,
  type Revision,
  type StreamFault,
} from '@jt1078/jt1078';
import { SEND_STAMP_TAIL, hasSendStamp } from './send-stamp.js';

export class ReplayError extends Error {
  override readonly name = 'ReplayError';
  readonly kind = 'replay';
}

/** A gap between two timestamps above this is a device clock jump, not a pause to reproduce. */
const MAX_PACING_GAP_MS = 1000;

export interface CapturePackets {
  readonly revision: Revision;
  readonly packets: readonly Jt1078Packet[];
  /** Time of each packet relative to the first, in ms, with clock jumps and steps back removed. */
  readonly times: readonly number[];
  /** Length of one pass, so the next loop continues one frame interval after the last packet. */
  readonly durationMs: number;
  /** Added to device timestamps per loop pass, so they keep increasing across passes. */
  readonly timestampSpanMs: number;
  /** Per packet: where in its body the device writes its clock (send-stamp.ts), on packets that complete a stamped frame. */
  readonly stampAt: ReadonlyArray<number | undefined>;
  readonly faults: readonly StreamFault[];
}

/**
 * The packets that complete a video frame ending in a send stamp, and where the stamp's digits
 * sit in their body. A stamp cut across two packets (the last body shorter than the digits) is
 * left alone: its frame is simply not measured.
 */
function sendStampOffsets(packets: readonly Jt1078Packet[]): Array<number | undefined> {
  const previousBody = new Map<number, Uint8Array>();
  return packets.map((p) => {
    if (p.dataType > DataType.B) return undefined;
    const before = p.subpackage === Subpackage.last || p.subpackage === Subpackage.middle ? previousBody.get(p.channel) : undefined;
    previousBody.set(p.channel, p.body);
    if (p.subpackage !== Subpackage.atomic && p.subpackage !== Subpackage.last) return undefined;
    if (p.body.length < SEND_STAMP_TAIL) return undefined;
    const tail = before ? concatBytes([before, p.body]) : p.body;
    return hasSendStamp(tail) ? p.body.length - SEND_STAMP_TAIL : undefined;
  });
}

/** Demuxes a whole capture once; every device replays the same packets. */
export function loadCapturePackets(bytes: Uint8Array): CapturePackets {
  const packets: Jt1078Packet[] = [];
  const faults: StreamFault[] = [];
  const demuxer = new StreamDemuxer({ onPacket: (p) => packets.push(p), onFault: (f) => faults.push(f) });
  demuxer.push(bytes);
  demuxer.end();
  if (packets.length === 0 || !demuxer.revision) throw new ReplayError(`no JT1078 packet in the capture (${faults.length} faults)`);
  // Send time follows the highest timestamp so far: audio and video interleave on separate
  // clocks (a video frame at 41 ms, then audio at 20 ms), so the envelope, not each step, is
  // the device's pace. A jump beyond MAX_PACING_GAP_MS is a clock jump, not a pause.
  const times: number[] = [];
  let t = 0;
  let shift: number | undefined;
  let lastStep = 40;
  for (const p of packets) {
    if (p.timestamp !== undefined) {
      shift ??= -p.timestamp;
      const rel = p.timestamp + shift;
      if (rel > t + MAX_PACING_GAP_MS) {
        shift -= rel - t - lastStep;
        t += lastStep;
      } else if (rel > t) {
        lastStep = rel - t;
        t = rel;
      }
    }
    times.push(t);
  }
  let minTs = Infinity;
  let maxTs = -Infinity;
  for (const p of packets) {
    if (p.timestamp === undefined) continue;
    minTs = Math.min(minTs, p.timestamp);
    maxTs = Math.max(maxTs, p.timestamp);
  }
  const timestampSpanMs = Number.isFinite(minTs) ? maxTs - minTs + lastStep : 0;
  return { revision: demuxer.revision, packets, times, durationMs: t + lastStep, timestampSpanMs, stampAt: sendStampOffsets(packets), faults };
}

export interface ReplayOptions {
  readonly sim?: string | undefined;
  readonly channel?: number | undefined;
  readonly loop: boolean;
}

export interface ReplayStep {
  /** When to send, in ms from the replay's start (before speed is applied). */
  readonly atMs: number;
  readonly bytes: Uint8Array;
  /** Where in `bytes` the device writes its clock as it sends them (send-stamp.ts). */
  readonly stampAt?: number;
}

export class CaptureReplay {
  #index = 0;
  #pass = 0;
  #sequence = 0;

  constructor(
    private readonly capture: CapturePackets,
    private readonly opts: ReplayOptions,
  ) {}

  get passes(): number {
    return this.#pass;
  }

  /** The next packet to send, or undefined when a non-looping replay is done. */
  next(): ReplayStep | undefined {
    const { packets, times, durationMs } = this.capture;
    if (this.#index >= packets.length) {
      if (!this.opts.loop) return undefined;
      this.#index = 0;
      this.#pass++;
    }
    const i = this.#index++;
    const p = packets[i]!;
    const atMs = times[i]! + this.#pass * durationMs;
    const seq = this.#sequence;
    this.#sequence = (this.#sequence + 1) & 0xffff;
    const bytes = encodePacket(
      {
        revision: this.capture.revision,
        marker: p.marker,
        payloadType: p.payloadType,
        sequence: seq,
        sim: this.opts.sim ?? p.sim,
        channel: this.opts.channel ?? p.channel,
        dataType: p.dataType,
        subpackage: p.subpackage,
        // The device's own timestamps (stalls and steps back included), shifted per pass.
        timestamp: p.timestamp === undefined ? undefined : p.timestamp + this.#pass * this.capture.timestampSpanMs,
        lastIFrameInterval: p.lastIFrameInterval,
        lastFrameInterval: p.lastFrameInterval,
      },
      p.body,
    );
    const stamp = this.capture.stampAt[i];
    return stamp === undefined ? { atMs, bytes } : { atMs, bytes, stampAt: bytes.length - p.body.length + stamp };
  }
}

/** `count` distinct SIMs from `base`: the same number of digits, counting up. */
export function deviceSims(base: string, count: number): string[] {
  if (!/^\d{1,20}$/.test(base)) throw new ReplayError(`SIM '${base}' must be 1 to 20 digits`);
  const width = base.length;
  const start = BigInt(base);
  const limit = 10n ** BigInt(width);
  return Array.from({ length: count }, (_, i) => {
    const n = start + BigInt(i);
    if (n >= limit) throw new ReplayError(`SIM ${base} + ${i} overflows ${width} digits`);
    return n.toString().padStart(width, '0');
  });
}
