/**
 * G.726's rate is not signalled (JT/T 1078 table 12 has one number, 8, for all four rates), so
 * it is read from the stream: at 8000 samples a second, bits per sample = payload bits ÷
 * samples the frames cover = bytes ÷ milliseconds. Each step of the device clock gives one
 * reading (the bytes stamped with the old time over the step), and the rate is the median of
 * the readings, so bursty stamps (several frames under one timestamp) and a lost frame do not
 * sway it. Until a second timestamp is seen, a frame is taken to cover 40 ms, the common frame
 * length. The estimate is settled once the readings cover SETTLE_MS.
 */
import type { G726Rate } from './g726-tables.js';

/** The estimate stops moving once the readings cover this much time. */
export const SETTLE_MS = 1000;
/** A first frame with no spacing yet is taken to be this long. */
export const ASSUMED_FRAME_MS = 40;

const RATE_OF_BITS: Readonly<Record<number, G726Rate>> = { 2: 16000, 3: 24000, 4: 32000, 5: 40000 };

/** The rate whose bits per sample are nearest `bytes` over `ms` (16 to 40 kbit/s). */
export function g726RateOf(bytes: number, ms: number): G726Rate {
  const bits = Math.round(bytes / Math.max(ms, 1e-3));
  return RATE_OF_BITS[Math.min(5, Math.max(2, bits))]!;
}

/**
 * Steps shorter than this are one burst, not frames apart: stamps by arrival (the live path) give
 * frames read together 1 ms steps, and no device frame is this short.
 */
const MIN_STEP_MS = 5;
/** Readings kept for the median. */
const READINGS = 15;

export class G726StreamRate {
  #lastMs: number | undefined;
  /** Bytes stamped with the current device time. */
  #bytesAtLast = 0;
  readonly #readings: number[] = [];
  #coveredMs = 0;
  #rate: G726Rate | undefined;
  #settled = false;

  /** Pinned by configuration: observing changes nothing. */
  constructor(readonly pinned?: G726Rate) {
    if (pinned) {
      this.#rate = pinned;
      this.#settled = true;
    }
  }

  get rate(): G726Rate | undefined {
    return this.#rate;
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** Takes a frame's payload size (HiSilicon header removed) and device timestamp; returns the rate to decode it at. */
  observe(bytes: number, timestampMs: number): G726Rate {
    if (this.#settled) return this.#rate!;
    if (this.#lastMs === undefined) {
      this.#rate = g726RateOf(bytes, ASSUMED_FRAME_MS);
    } else if (timestampMs >= this.#lastMs + MIN_STEP_MS) {
      const step = timestampMs - this.#lastMs;
      this.#readings.push(this.#bytesAtLast / step);
      if (this.#readings.length > READINGS) this.#readings.shift();
      const sorted = [...this.#readings].sort((a, b) => a - b);
      this.#rate = g726RateOf(sorted[sorted.length >> 1]!, 1);
      this.#coveredMs += step;
      if (this.#coveredMs >= SETTLE_MS && this.#readings.length >= 3) this.#settled = true;
      this.#bytesAtLast = 0;
    } else if (timestampMs < this.#lastMs) {
      // The device clock went back: the bytes stamped before say nothing about the next step.
      this.#bytesAtLast = 0;
    }
    if (this.#lastMs === undefined || timestampMs < this.#lastMs || timestampMs >= this.#lastMs + MIN_STEP_MS) this.#lastMs = timestampMs;
    this.#bytesAtLast += bytes;
    return this.#rate!;
  }
}
