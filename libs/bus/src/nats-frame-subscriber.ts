/**
 * Frames in (FrameBus.subscribeFrames): a core subscription per filter, chunked frames put back
 * together per subscriber (chunk-reassembler.ts), and with `fromWindow` the stream's recent window
 * asked of the pod that publishes it (`<root>.replay.…`, nats-frame-replay.ts) once the live
 * subscription is in place, the two joined by a WindowSeam (no gap, no duplicate).
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { DropReason, countDrop, type BusStats } from './bus-stats.js';
import { ChunkReassembler, type ReassemblyLoss } from './chunk-reassembler.js';
import type { FrameEnvelope, HeaderMap } from './frame-envelope.js';
import { BusClosed, WindowNeedsOneStream, type FrameFilter, type SubscribeFramesOptions, type Unsubscribe } from './media-bus.js';
import type { NatsBusContext } from './nats-bus-context.js';
import { messageHeaders, requestReplay } from './nats-frame-replay.js';
import type { Subjects } from './subjects.js';
import { WindowSeam } from './window-seam.js';

/** An owner answers from memory in milliseconds; a reply this late means it is gone or stuck. */
export const REPLAY_TIMEOUT_MS = 2000;
/** Incomplete chunked frames are looked at this often, so a frame whose last piece never comes is counted. */
const REASSEMBLY_SWEEP_MS = 1000;

const LOSS_REASON: Record<ReassemblyLoss, DropReason> = {
  timeout: DropReason.reassemblyTimeout,
  evicted: DropReason.reassemblyEvicted,
  partial: DropReason.partialChunks,
};

export interface NatsFrameSubscriberOptions {
  readonly reassemblyTimeoutMs?: number;
  readonly replayTimeoutMs?: number;
}

export class NatsFrameSubscriber {
  readonly #reassemblers = new Set<ChunkReassembler>();
  readonly #sweep: NodeJS.Timeout;
  readonly #reassemblyTimeoutMs: number;

  constructor(private readonly ctx: NatsBusContext, private readonly opts: NatsFrameSubscriberOptions) {
    this.#reassemblyTimeoutMs = opts.reassemblyTimeoutMs ?? 5000;
    this.#sweep = setInterval(() => {
      for (const r of this.#reassemblers) r.sweep();
    }, Math.min(REASSEMBLY_SWEEP_MS, this.#reassemblyTimeoutMs / 2)).unref();
  }

  private get nc(): NatsConnection {
    return this.ctx.nc;
  }

  private get stats(): BusStats {
    return this.ctx.stats;
  }

  private get subjects(): Subjects {
    return this.ctx.subjects;
  }

  close(): void {
    clearInterval(this.#sweep);
  }

  #reassembler(): ChunkReassembler {
    const r = new ChunkReassembler({
      timeoutMs: this.#reassemblyTimeoutMs,
      onLoss: (reason) => countDrop(this.stats, LOSS_REASON[reason]),
    });
    this.#reassemblers.add(r);
    return r;
  }

  #frame(r: ChunkReassembler, subject: string, headers: HeaderMap, data: Uint8Array): FrameEnvelope | undefined {
    try {
      return r.accept(subject, headers, data);
    } catch (err) {
      this.ctx.dropUnreadable(err);
      return undefined;
    }
  }

  async subscribeFrames(filter: FrameFilter, handler: (frame: FrameEnvelope) => void, opts: SubscribeFramesOptions = {}): Promise<Unsubscribe> {
    if (this.nc.isClosed()) throw new BusClosed('subscribeFrames');
    if (opts.fromWindow && (filter.sim === undefined || filter.channel === undefined)) throw new WindowNeedsOneStream();
    const subject = this.subjects.mediaFilter(filter.streamKind, filter.sim, filter.channel);
    const deliver = this.ctx.safe(handler);
    const live = this.#reassembler();
    const seam = opts.fromWindow
      ? new WindowSeam(deliver, { onDuplicate: () => this.stats.seamDuplicates++, onOverflow: () => countDrop(this.stats, DropReason.seamOverflow) })
      : undefined;
    const sub: Subscription = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        const f = this.#frame(live, msg.subject, messageHeaders(msg), msg.data);
        if (!f) return;
        if (seam) seam.live(f);
        else deliver(f);
      },
    });
    const stop = () => {
      sub.unsubscribe();
      live.clear();
      this.#reassemblers.delete(live);
      this.ctx.stops.delete(stop);
    };
    this.ctx.stops.add(stop);
    if (seam) {
      try {
        // The server has the live subscription before the owner is asked: every frame the owner
        // publishes after reading its window for the reply reaches `live`, and the window holds
        // every frame it published before (it is written as frames are published).
        await this.nc.flush();
        await this.#replayWindow(subject, seam);
      } catch (err) {
        stop();
        throw err;
      } finally {
        seam.finish();
      }
    }
    return stop;
  }

  /** Asks the stream's owner for its window and feeds it to the seam (nothing when nobody owns it: live starts at the next mark). */
  async #replayWindow(subject: string, seam: WindowSeam): Promise<void> {
    const window = this.#reassembler();
    try {
      const outcome = await requestReplay(this.nc, this.subjects.root, subject, (headers, data) => {
        const f = this.#frame(window, subject, headers, data);
        if (f) seam.fromWindow(f);
      }, this.opts.replayTimeoutMs ?? REPLAY_TIMEOUT_MS);
      this.stats.replays[outcome]++;
    } finally {
      window.clear();
      this.#reassemblers.delete(window);
    }
  }
}
