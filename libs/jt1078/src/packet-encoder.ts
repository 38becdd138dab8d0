/**
 * Frames to packets, the device's side of table 19: bodies split at 950 bytes with
 * first/middle/last flags, the M bit on a frame's last packet, sequence numbers continuing per
 * encoder (one counter across video and audio, as devices do). Used by the simulator, the
 * intercom (browser audio to devices) and to make test captures.
 */
import { DataType, SPEC_MAX_BODY_BYTES, Subpackage, headerLength, type Revision } from './packet.js';

export class EncodeError extends Error {
  override readonly name = 'EncodeError';
  readonly kind = 'encode';
}

export interface PacketFields {
  readonly revision: Revision;
  readonly marker: boolean;
  readonly payloadType: number;
  readonly sequence: number;
  readonly sim: string;
  readonly channel: number;
  readonly dataType: number;
  readonly subpackage: number;
  /** Required unless dataType is passthrough. */
  /** ms; a bigint for values of 2^53 or more (written exactly). */
  readonly timestamp?: number | bigint | undefined;
  readonly lastIFrameInterval?: number | undefined;
  readonly lastFrameInterval?: number | undefined;
}

function writeSim(out: Uint8Array, at: number, sim: string, revision: Revision): void {
  const digits = revision === '2019' ? 20 : 12;
  if (!/^\d+$/.test(sim) || sim.length > digits) throw new EncodeError(`SIM '${sim}' is not up to ${digits} digits`);
  const padded = sim.padStart(digits, '0');
  for (let i = 0; i < digits / 2; i++) {
    out[at + i] = ((padded.charCodeAt(2 * i) - 48) << 4) | (padded.charCodeAt(2 * i + 1) - 48);
  }
}

/** One packet's bytes: header (table 19) followed by `body`. */
export function encodePacket(f: PacketFields, body: Uint8Array): Uint8Array {
  if (body.length > 0xffff) throw new EncodeError(`body of ${body.length} bytes does not fit a u16 length`);
  if (f.channel < 0 || f.channel > 255) throw new EncodeError(`channel ${f.channel} is not a u8`);
  const hl = headerLength(f.revision, f.dataType);
  const out = new Uint8Array(hl + body.length);
  out[0] = 0x30;
  out[1] = 0x31;
  out[2] = 0x63;
  out[3] = 0x64;
  out[4] = 0x81;
  out[5] = (f.marker ? 0x80 : 0) | (f.payloadType & 0x7f);
  out[6] = (f.sequence >> 8) & 0xff;
  out[7] = f.sequence & 0xff;
  writeSim(out, 8, f.sim, f.revision);
  let p = f.revision === '2019' ? 18 : 14;
  out[p++] = f.channel;
  out[p++] = (f.dataType << 4) | f.subpackage;
  if (f.dataType !== DataType.passthrough) {
    const ts = f.timestamp ?? 0;
    const hi = typeof ts === 'bigint' ? Number((ts >> 32n) & 0xffff_ffffn) : Math.floor(ts / 0x1_0000_0000);
    const lo = typeof ts === 'bigint' ? Number(ts & 0xffff_ffffn) : ts >>> 0;
    out[p++] = hi >>> 24;
    out[p++] = (hi >>> 16) & 0xff;
    out[p++] = (hi >>> 8) & 0xff;
    out[p++] = hi & 0xff;
    out[p++] = lo >>> 24;
    out[p++] = (lo >>> 16) & 0xff;
    out[p++] = (lo >>> 8) & 0xff;
    out[p++] = lo & 0xff;
  }
  if (f.dataType <= DataType.B) {
    const li = f.lastIFrameInterval ?? 0;
    const lf = f.lastFrameInterval ?? 0;
    out[p++] = (li >> 8) & 0xff;
    out[p++] = li & 0xff;
    out[p++] = (lf >> 8) & 0xff;
    out[p++] = lf & 0xff;
  }
  out[p++] = (body.length >> 8) & 0xff;
  out[p++] = body.length & 0xff;
  out.set(body, p);
  return out;
}

export interface EncoderFrame {
  readonly channel: number;
  readonly dataType: number;
  readonly payloadType: number;
  /** Milliseconds; ignored for passthrough. */
  /** ms; a bigint for values of 2^53 or more (written exactly). */
  readonly timestamp?: number | bigint | undefined;
  readonly data: Uint8Array;
  readonly lastIFrameInterval?: number | undefined;
  readonly lastFrameInterval?: number | undefined;
}

export interface PacketEncoderOptions {
  readonly sim: string;
  readonly revision?: Revision;
  /** Body bytes per packet; 950 by the standard. */
  readonly maxBody?: number;
  readonly firstSequence?: number;
  /** Prefix audio bodies with the HiSilicon `00 01 LL 00` header (LL = payload bytes / 2). */
  readonly hisiliconAudio?: boolean;
  /** Set the M bit on a frame's last packet (default); some devices never set it. */
  readonly markers?: boolean;
}

export class PacketEncoder {
  readonly sim: string;
  readonly revision: Revision;
  readonly #maxBody: number;
  readonly #hisilicon: boolean;
  readonly #markers: boolean;
  #sequence: number;

  constructor(opts: PacketEncoderOptions) {
    this.sim = opts.sim;
    this.revision = opts.revision ?? '2016';
    this.#maxBody = opts.maxBody ?? SPEC_MAX_BODY_BYTES;
    this.#hisilicon = opts.hisiliconAudio ?? false;
    this.#markers = opts.markers ?? true;
    this.#sequence = (opts.firstSequence ?? 0) & 0xffff;
    if (this.#maxBody < 1 || this.#maxBody > 0xffff) throw new EncodeError(`maxBody ${this.#maxBody} out of range`);
  }

  get nextSequence(): number {
    return this.#sequence;
  }

  /** The packets of one frame, in order, numbered as they are made. */
  encode(frame: EncoderFrame): Uint8Array[] {
    return this.packetize(frame).map((plan) => this.emit(plan));
  }

  /**
   * Splits a frame into packet plans without numbering them, so a caller can interleave the
   * plans of several frames (audio between video subpackages) and number them in send order.
   */
  packetize(frame: EncoderFrame): PacketPlan[] {
    let data = frame.data;
    if (this.#hisilicon && frame.dataType === DataType.audio) {
      if (data.length % 2 !== 0 || data.length / 2 > 255) throw new EncodeError(`HiSilicon header cannot describe ${data.length} audio bytes`);
      const withHeader = new Uint8Array(4 + data.length);
      withHeader.set([0x00, 0x01, data.length / 2, 0x00]);
      withHeader.set(data, 4);
      data = withHeader;
    }
    const count = Math.max(1, Math.ceil(data.length / this.#maxBody));
    const plans: PacketPlan[] = [];
    for (let i = 0; i < count; i++) {
      const subpackage = count === 1 ? Subpackage.atomic : i === 0 ? Subpackage.first : i === count - 1 ? Subpackage.last : Subpackage.middle;
      plans.push({
        frame,
        subpackage,
        marker: this.#markers && i === count - 1,
        body: data.subarray(i * this.#maxBody, Math.min(data.length, (i + 1) * this.#maxBody)),
      });
    }
    return plans;
  }

  /** Encodes one planned packet with the next sequence number. */
  emit(plan: PacketPlan): Uint8Array {
    const f = plan.frame;
    const bytes = encodePacket(
      {
        revision: this.revision,
        marker: plan.marker,
        payloadType: f.payloadType,
        sequence: this.#sequence,
        sim: this.sim,
        channel: f.channel,
        dataType: f.dataType,
        subpackage: plan.subpackage,
        timestamp: f.timestamp,
        lastIFrameInterval: f.lastIFrameInterval,
        lastFrameInterval: f.lastFrameInterval,
      },
      plan.body,
    );
    this.#sequence = (this.#sequence + 1) & 0xffff;
    return bytes;
  }
}

export interface PacketPlan {
  readonly frame: EncoderFrame;
  readonly subpackage: number;
  readonly marker: boolean;
  readonly body: Uint8Array;
}

export { concatBytes } from '@jt1078/media/bytes';
