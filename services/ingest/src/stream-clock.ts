/**
 * Output timestamps for one stream (DESIGN.md "Protocol notes"): realtime streams are timed by
 * arrival — device clocks on live links stall, jump and restart — and playback streams by the
 * device, whose timestamps are the recording's. Either way the output is monotonic per track,
 * because a decoder downstream cannot take time going backwards.
 */
export type ClockSource = 'arrival' | 'device';

export class StreamClock {
  #deviceOrigin: number | bigint | undefined;
  readonly #last = { video: -1, audio: -1 };
  /** Times a device timestamp stalled or stepped back and was moved forward. */
  corrections = 0;

  constructor(
    private readonly source: ClockSource,
    /** Monotonic ms at the stream's start (performance.now()). */
    private readonly originMs: number,
  ) {}

  /**
   * ms since the stream started, for a frame of `kind` that arrived at `nowMs` (monotonic). A
   * device timestamp of 2^53 ms or more comes as a bigint, and the difference is taken exactly.
   */
  stamp(kind: 'video' | 'audio', deviceTimestamp: number | bigint | undefined, nowMs: number): number {
    let t: number;
    if (this.source === 'device' && deviceTimestamp !== undefined) {
      const origin = (this.#deviceOrigin ??= deviceTimestamp);
      t = typeof deviceTimestamp === 'number' && typeof origin === 'number' ? deviceTimestamp - origin : Number(BigInt(deviceTimestamp) - BigInt(origin));
    } else {
      t = Math.round(nowMs - this.originMs);
    }
    const last = this.#last[kind];
    if (t <= last) {
      if (this.source === 'device') this.corrections++;
      t = last + 1;
    }
    this.#last[kind] = t;
    return t;
  }
}
