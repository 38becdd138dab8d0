/**
 * Audio times for a capture (`jt1078 package`), as the live path keeps them: by the samples
 * each frame holds, anchored to the device clock. Devices stamp audio coarsely — a 2019 device
 * stamps its 25 ms frames in bursts (166, 299, 299, 299, 425 ×5 …) — so a frame's own stamp
 * says little; its samples say exactly how long it lasts. The device clock still decides when
 * audio was lost: a stamp further ahead of the sample clock than the resync bound moves the
 * clock forward (counted), and a clock that restarts far behind is followed from there.
 */
import { MAX_STEP_MS } from './index.js';

export class AudioSampleClock {
  #originMs: number | undefined;
  /** Time the samples so far cover, plus forward jumps (ms). */
  #clockMs = 0;
  resyncs = 0;
  resets = 0;

  /** `resyncMs`: how far ahead of the samples the device clock may run before audio counts as lost. */
  constructor(private readonly resyncMs: number) {}

  /** ms from the track's first frame for a frame stamped `deviceMs` holding `samples` at `rate` Hz. */
  next(deviceMs: number, samples: number, rate: number): number {
    this.#originMs ??= deviceMs;
    const deviceElapsed = deviceMs - this.#originMs;
    if (deviceElapsed - this.#clockMs > this.resyncMs) {
      this.#clockMs = deviceElapsed;
      this.resyncs++;
    } else if (this.#clockMs - deviceElapsed > MAX_STEP_MS) {
      // The device clock restarted: anchor to it again where the samples are.
      this.#originMs = deviceMs - this.#clockMs;
      this.resets++;
    }
    const at = this.#clockMs;
    this.#clockMs += (samples * 1000) / rate;
    return at;
  }
}
