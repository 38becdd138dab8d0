/**
 * Reassembles packets into frames: atomic packets are frames; first/middle/last subpackages
 * (table 19 byte 15, low nibble) are joined per (SIM, channel, video|audio|passthrough). A pure
 * `push(packet) → frames[]` core (werift's rtp processors), with stats; faults are values.
 *
 * Loss: the packet sequence number counts per connection across video and audio (both real
 * captures interleave them on one counter), so a gap in it is a lost packet that may belong to
 * any open frame: every open frame of that SIM/channel is dropped and reported, never glued
 * together with a hole in it. Frames not open at the gap are unaffected.
 */
import { isRandomAccess, type CodecName } from '@jt1078/media';
import { allocBytes } from './byte-slab.js';
import { FrameBudget, type BudgetedFrame } from './frame-budget.js';
import { DataType, Subpackage, type Jt1078Packet } from './packet.js';
import { FaultKind, emptyFaultCounts, type FaultCounts, type StreamFault } from './stream-fault.js';

/**
 * Largest frame we assemble. A 4K I-frame at high quality is 1-2 MB; 8 MB leaves room for
 * anything a dash camera sends while bounding what one device can make us hold.
 */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;

export type FrameKind = 'video' | 'audio' | 'passthrough';

export class AssembledFrame {
  constructor(
    readonly sim: string,
    readonly channel: number,
    readonly kind: FrameKind,
    /** Undefined for a payload type table 12 does not list, and for passthrough data. */
    readonly codec: CodecName | undefined,
    readonly payloadType: number,
    /** Data type of the first packet: 0 I, 1 P, 2 B, 3 audio, 4 passthrough. */
    readonly dataType: number,
    /** From the bitstream (IDR/IRAP) for H.264/H.265, from the data type otherwise. */
    readonly keyFrame: boolean,
    /** Device timestamp in ms (undefined for passthrough). */
    readonly timestamp: number | undefined,
    /** Annex-B video, raw audio without the HiSilicon header, or passthrough bytes. */
    readonly data: Uint8Array,
    readonly firstSequence: number,
    readonly packets: number,
    /** Stream offset of the frame's first packet. */
    readonly offset: number,
    /** The device put a HiSilicon header before this audio frame (removed from `data`). */
    readonly hisilicon: boolean,
    /** The timestamp exactly when it is 2^53 ms or more (see Jt1078Packet.exactTimestamp). */
    readonly exactTimestamp: bigint | undefined = undefined,
  ) {}
}

export interface AssemblerStats {
  frames: number;
  videoFrames: number;
  keyFrames: number;
  audioFrames: number;
  passthroughFrames: number;
  droppedFrames: number;
  lostPackets: number;
  hisiliconHeaders: number;
  readonly faults: FaultCounts;
}

/** A frame being reassembled (a class, not a closure per frame: this is on the hot path). */
class OpenFrame implements BudgetedFrame {
  readonly parts: Uint8Array[];
  size: number;
  /**
   * Memory the frame keeps alive: its parts are views into the reads that carried them, so it
   * pins each of those reads whole (a 64 KB socket read for a 950-byte part). Charged per
   * distinct read, so the caps bound real memory, not just the frame's own bytes.
   */
  held: number;
  lastBuffer: ArrayBufferLike;

  constructor(
    readonly first: Jt1078Packet,
    private readonly owner: FrameAssembler,
    private readonly slots: StreamSlots,
    private readonly cls: number,
  ) {
    this.parts = [first.body];
    this.size = first.body.length;
    this.lastBuffer = first.body.buffer;
    this.held = this.lastBuffer.byteLength;
  }

  evict(): void {
    this.owner.evictOpen(this.slots, this.cls, this);
  }
}


export interface FrameAssemblerOptions {
  readonly onFault?: (fault: StreamFault) => void;
  /** Unfinished-frame bytes this assembler (one connection) may hold; the oldest open frame goes first. */
  readonly maxBufferedBytes?: number;
  /** A budget shared with other assemblers (the pod's), evicting the oldest open frame of any of them. */
  readonly sharedBudget?: FrameBudget;
}

/** Slots per channel: one open frame each for video, audio and passthrough. */
const CLASSES = 3;

function classOf(dataType: number): number {
  return dataType <= DataType.B ? 0 : dataType === DataType.audio ? 1 : 2;
}

/**
 * HiSilicon encoders put `00 01 LL 00` before each audio frame, LL = payload bytes / 2
 * (a 16-bit word count). Only a header whose count matches the body is taken for one.
 */
export function hisiliconPayload(body: Uint8Array): Uint8Array | undefined {
  if (body.length > 4 && body[0] === 0x00 && body[1] === 0x01 && body[3] === 0x00 && body[2]! * 2 === body.length - 4) {
    return body.subarray(4);
  }
  return undefined;
}

interface StreamSlots {
  readonly open: Array<OpenFrame | undefined>;
  nextSequence: number;
}

export class FrameAssembler {
  readonly stats: AssemblerStats = {
    frames: 0,
    videoFrames: 0,
    keyFrames: 0,
    audioFrames: 0,
    passthroughFrames: 0,
    droppedFrames: 0,
    lostPackets: 0,
    hisiliconHeaders: 0,
    faults: emptyFaultCounts(),
  };
  readonly #streams = new Map<string, StreamSlots[]>();
  readonly #onFault: ((fault: StreamFault) => void) | undefined;
  readonly #out: AssembledFrame[] = [];
  /** This assembler's own cap (one connection's); none when no limit was given. */
  readonly #budget: FrameBudget | undefined;
  readonly #shared: FrameBudget | undefined;
  #lastSim = '';
  #lastChannel = -1;
  #lastSlots: StreamSlots | undefined;

  constructor(opts: FrameAssemblerOptions = {}) {
    this.#onFault = opts.onFault;
    this.#budget = opts.maxBufferedBytes === undefined ? undefined : new FrameBudget(opts.maxBufferedBytes);
    this.#shared = opts.sharedBudget;
  }

  /**
   * Takes one packet; returns the frames it completes (usually none or one). The returned array
   * is reused by the next call: consume it before pushing again.
   */
  push(packet: Jt1078Packet): readonly AssembledFrame[] {
    const out = this.#out;
    out.length = 0;
    const slots = this.#slotsFor(packet);
    this.#checkSequence(slots, packet);
    const cls = classOf(packet.dataType);
    const open = slots.open[cls];
    switch (packet.subpackage) {
      case Subpackage.atomic:
        if (open) this.#drop(slots, cls, FaultKind.incompleteFrame, packet, 'an atomic packet arrived while a frame was open');
        if (packet.body.length === 0) {
          this.stats.droppedFrames++;
          this.#fault(FaultKind.emptyFrame, packet, `atomic packet ${packet.sequence} has an empty body`);
          break;
        }
        out.push(this.#frame(packet, packet.body, 1));
        break;
      case Subpackage.first: {
        if (open) this.#drop(slots, cls, FaultKind.incompleteFrame, packet, 'a first subpackage arrived while a frame was open');
        const opened = new OpenFrame(packet, this, slots, cls);
        slots.open[cls] = opened;
        this.#charge(opened, opened.held);
        break;
      }
      default: {
        if (!open) {
          this.#fault(FaultKind.missingFirst, packet, `subpackage ${packet.subpackage === Subpackage.last ? 'last' : 'middle'} (seq ${packet.sequence}) with no first`);
          this.stats.droppedFrames += packet.subpackage === Subpackage.last ? 1 : 0;
          break;
        }
        open.parts.push(packet.body);
        open.size += packet.body.length;
        if (packet.body.buffer !== open.lastBuffer) {
          open.lastBuffer = packet.body.buffer;
          const more = open.lastBuffer.byteLength;
          open.held += more;
          this.#charge(open, more);
        }
        // The charge may have evicted this very frame (it was the oldest).
        if (slots.open[cls] !== open) break;
        if (open.size > MAX_FRAME_BYTES) {
          this.#drop(slots, cls, FaultKind.frameTooLarge, packet, `frame exceeds ${MAX_FRAME_BYTES} bytes`);
          break;
        }
        if (packet.subpackage === Subpackage.last) {
          slots.open[cls] = undefined;
          this.#release(open);
          if (open.size === 0) {
            this.stats.droppedFrames++;
            this.#fault(FaultKind.emptyFrame, packet, `frame ending at packet ${packet.sequence} has no bytes`);
            break;
          }
          out.push(this.#frame(open.first, concat(open.parts, open.size), open.parts.length));
        }
      }
    }
    return out;
  }

  /** Frames still open (e.g. at the end of a capture) are dropped and reported. */
  end(): void {
    for (const perChannel of this.#streams.values()) {
      for (const slots of perChannel) {
        if (!slots) continue;
        for (let cls = 0; cls < CLASSES; cls++) {
          const open = slots.open[cls];
          if (open) this.#drop(slots, cls, FaultKind.incompleteFrame, open.first, 'stream ended inside a frame');
        }
      }
    }
    // Nothing of the connection stays referenced from here (the slots of every SIM/channel it opened).
    this.#streams.clear();
    this.#lastSim = '';
    this.#lastChannel = -1;
    this.#lastSlots = undefined;
  }

  /** Memory held by open frames (the reads their parts pin), for memory accounting. */
  get bufferedBytes(): number {
    if (this.#budget) return this.#budget.usedBytes;
    let n = 0;
    for (const perChannel of this.#streams.values()) {
      for (const slots of perChannel) for (const open of slots?.open ?? []) n += open?.held ?? 0;
    }
    return n;
  }

  #charge(open: OpenFrame, bytes: number): void {
    this.#budget?.charge(open, bytes);
    this.#shared?.charge(open, bytes);
  }

  #release(open: OpenFrame): void {
    this.#budget?.release(open);
    this.#shared?.release(open);
  }

  /** A budget evicts `open` (the oldest over a cap): dropped and reported. Internal to this module. */
  evictOpen(slots: StreamSlots, cls: number, open: OpenFrame): void {
    if (slots.open[cls] === open) this.#drop(slots, cls, FaultKind.memoryCap, open.first, `unfinished frames over the memory cap (${open.size} bytes dropped, the oldest open frame)`);
  }

  #slotsFor(packet: Jt1078Packet): StreamSlots {
    // Nearly every packet belongs to the same stream as the one before it.
    if (packet.sim === this.#lastSim && packet.channel === this.#lastChannel) return this.#lastSlots!;
    const slots = this.#lookupSlots(packet);
    this.#lastSim = packet.sim;
    this.#lastChannel = packet.channel;
    this.#lastSlots = slots;
    return slots;
  }

  #lookupSlots(packet: Jt1078Packet): StreamSlots {
    let perChannel = this.#streams.get(packet.sim);
    if (!perChannel) {
      perChannel = [];
      this.#streams.set(packet.sim, perChannel);
    }
    let slots = perChannel[packet.channel];
    if (!slots) {
      slots = { open: new Array<OpenFrame | undefined>(CLASSES).fill(undefined), nextSequence: -1 };
      perChannel[packet.channel] = slots;
    }
    return slots;
  }

  #checkSequence(slots: StreamSlots, packet: Jt1078Packet): void {
    const expected = slots.nextSequence;
    slots.nextSequence = (packet.sequence + 1) & 0xffff;
    if (expected < 0 || packet.sequence === expected) return;
    const lost = (packet.sequence - expected + 0x10000) & 0xffff;
    this.stats.lostPackets += lost;
    for (let cls = 0; cls < CLASSES; cls++) {
      if (slots.open[cls]) {
        this.#drop(slots, cls, FaultKind.sequenceGap, packet, `expected packet ${expected}, got ${packet.sequence} (${lost} lost)`);
      }
    }
  }

  #drop(slots: StreamSlots, cls: number, kind: FaultKind, packet: Jt1078Packet, detail: string): void {
    const open = slots.open[cls];
    if (open) this.#release(open);
    slots.open[cls] = undefined;
    this.stats.droppedFrames++;
    this.#fault(kind, packet, detail);
  }

  #fault(kind: FaultKind, packet: Jt1078Packet, detail: string): void {
    this.stats.faults[kind]++;
    this.#onFault?.({ kind, offset: packet.offset, detail, sim: packet.sim, channel: packet.channel });
  }

  #frame(first: Jt1078Packet, body: Uint8Array, packets: number): AssembledFrame {
    const dt = first.dataType;
    const codec = first.codec;
    let kind: FrameKind;
    let data = body;
    let keyFrame: boolean;
    let hisilicon = false;
    if (dt <= DataType.B) {
      kind = 'video';
      keyFrame = codec === 'h264' || codec === 'h265' ? isRandomAccess(codec, data) : dt === DataType.I;
      this.stats.videoFrames++;
      if (keyFrame) this.stats.keyFrames++;
    } else if (dt === DataType.audio) {
      kind = 'audio';
      keyFrame = true;
      const payload = hisiliconPayload(data);
      if (payload) {
        data = payload;
        hisilicon = true;
        this.stats.hisiliconHeaders++;
      }
      this.stats.audioFrames++;
    } else {
      kind = 'passthrough';
      keyFrame = false;
      this.stats.passthroughFrames++;
    }
    this.stats.frames++;
    return new AssembledFrame(first.sim, first.channel, kind, kind === 'passthrough' ? undefined : codec, first.payloadType, dt, keyFrame, first.timestamp, data, first.sequence, packets, first.offset, hisilicon, first.exactTimestamp);
  }
}

function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  const out = allocBytes(size);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
