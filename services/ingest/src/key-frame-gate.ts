/**
 * Decides, frame by frame, whether a stream's frame goes to the bus while the bus is slow.
 * Dropping a P-frame breaks every frame up to the next key frame, so once one video frame is
 * dropped, the rest of that GOP is dropped too, and the stream resumes at a key frame. Audio
 * frames stand alone and are dropped only while congested. Every drop is counted by reason.
 */

export const BusPressure = {
  /** Below the soft limit: everything passes. */
  none: 0,
  /** Over the soft limit: only key frames (and what follows them) pass. */
  soft: 1,
  /** Over the hard limit: nothing passes. */
  hard: 2,
} as const;
export type BusPressure = (typeof BusPressure)[keyof typeof BusPressure];

export const DropReason = {
  congested: 'congested',
  awaitingKeyFrame: 'awaiting-key-frame',
} as const;
export type DropReason = (typeof DropReason)[keyof typeof DropReason];

export interface GateFrame {
  readonly mediaKind: 'video' | 'audio';
  readonly keyFrame: boolean;
}

export class KeyFrameGate {
  #awaitingKey = false;
  readonly dropped: Record<DropReason, number> = { congested: 0, 'awaiting-key-frame': 0 };

  /** Returns undefined when the frame passes, or why it is dropped. */
  admit(frame: GateFrame, pressure: BusPressure): DropReason | undefined {
    if (frame.mediaKind === 'audio') {
      if (pressure === BusPressure.none) return undefined;
      return this.#drop(DropReason.congested);
    }
    if (pressure === BusPressure.hard) {
      this.#awaitingKey = true;
      return this.#drop(DropReason.congested);
    }
    if (frame.keyFrame) {
      this.#awaitingKey = false;
      return undefined;
    }
    if (pressure === BusPressure.soft) {
      this.#awaitingKey = true;
      return this.#drop(DropReason.congested);
    }
    return this.#awaitingKey ? this.#drop(DropReason.awaitingKeyFrame) : undefined;
  }

  get awaitingKeyFrame(): boolean {
    return this.#awaitingKey;
  }

  #drop(reason: DropReason): DropReason {
    this.dropped[reason]++;
    return reason;
  }
}
