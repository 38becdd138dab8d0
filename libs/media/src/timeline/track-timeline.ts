/**
 * Device millisecond timestamps to strictly increasing decode times on a track's clock. Devices'
 * timestamps stall (the same value for several frames), step back, or jump; a decoder needs
 * time to move forward. A frame whose timestamp does not advance gets the recent typical frame
 * step; a jump forward beyond MAX_STEP_MS is a discontinuity (a device clock reset), closed to
 * one typical step. Each correction is counted.
 */

/** A step this long between two frames is a clock jump, not a pause. */
export const MAX_STEP_MS = 5000;

export interface TimelineStats {
  stalls: number;
  backwards: number;
  jumps: number;
  resets: number;
}

export class TrackTimeline {
  readonly stats: TimelineStats = { stalls: 0, backwards: 0, jumps: 0, resets: 0 };
  #lastInput: number | undefined;
  #lastOutput = -1;
  #recentSteps: number[] = [];
  #typicalStep: number;

  constructor(
    /** Track clock ticks per millisecond (90 for a 90 kHz video track). */
    private readonly ticksPerMs: number,
    /** Step used before any has been seen: 40 ms (25 fps) for video. */
    nominalStepMs = 40,
  ) {
    this.#typicalStep = nominalStepMs;
  }

  /**
   * The decode time, in ticks, for a frame stamped `ms` by the device. Output follows the device
   * clock (input + offset) whenever that moves forward; a stalled or backward stamp gets the
   * typical step and the next good stamp catches up; a jump, or a clock that stays behind after
   * stepping back (a reset), moves the offset so time carries on from where it was.
   */
  next(ms: number): number {
    let outMs: number;
    if (this.#lastGood === undefined || this.#lastInput === undefined) {
      this.#offset = -ms;
      this.#lastGood = ms;
      outMs = 0;
    } else {
      const stepGood = ms - this.#lastGood;
      const stepRaw = ms - this.#lastInput;
      if (stepGood > 0 && stepGood <= MAX_STEP_MS) {
        if (!this.#abnormal) this.#learn(stepGood);
        outMs = ms + this.#offset;
        if (outMs <= this.#lastOutputMs) {
          // The slot this frame would take went to a stalled or stray frame: carry on after it.
          this.#offset = this.#lastOutputMs + this.#typicalStep - ms;
          outMs = this.#lastOutputMs + this.#typicalStep;
        }
        this.#lastGood = ms;
        this.#abnormal = false;
      } else if (this.#abnormal && stepRaw > 0 && stepRaw <= MAX_STEP_MS) {
        // Behind twice and moving forward from there: the device clock was reset.
        this.stats.resets++;
        outMs = this.#lastOutputMs + stepRaw;
        this.#offset = outMs - ms;
        this.#lastGood = ms;
        this.#abnormal = false;
      } else if (stepGood > MAX_STEP_MS) {
        this.stats.jumps++;
        outMs = this.#lastOutputMs + this.#typicalStep;
        this.#offset = outMs - ms;
        this.#lastGood = ms;
      } else {
        if (stepGood === 0) this.stats.stalls++;
        else this.stats.backwards++;
        outMs = this.#lastOutputMs + this.#typicalStep;
        this.#abnormal = true;
      }
    }
    this.#lastInput = ms;
    this.#lastOutputMs = outMs;
    let ticks = Math.round(outMs * this.ticksPerMs);
    if (ticks <= this.#lastOutput) ticks = this.#lastOutput + 1;
    this.#lastOutput = ticks;
    return ticks;
  }

  #lastGood: number | undefined;
  #abnormal = false;
  #lastOutputMs = 0;
  #offset = 0;

  /** The median of the last 15 steps: robust to the odd late frame. */
  #learn(step: number): void {
    // The common case — a step equal to the typical one — changes no median worth recomputing.
    if (step === this.#typicalStep && this.#recentSteps.length >= 15) return;
    this.#recentSteps.push(step);
    if (this.#recentSteps.length > 15) this.#recentSteps.shift();
    const sorted = [...this.#recentSteps].sort((a, b) => a - b);
    this.#typicalStep = sorted[sorted.length >> 1]!;
  }

  get typicalStepMs(): number {
    return this.#typicalStep;
  }
}
