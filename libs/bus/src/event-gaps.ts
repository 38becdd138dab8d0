/**
 * Which positions of the events stream a consumer has not been handed. Several relays share one
 * durable consumer (and a relay that died may leave a pull request that the server still feeds
 * until it expires), so each relay sees only some of the stream's sequence numbers; the ones it
 * skipped below the highest it saw are held by someone else. Before delivering an event, a relay
 * asks whether one of those is an earlier event of the same stream — delivering first would put
 * a leave before its join.
 *
 * Pure bookkeeping: NatsMediaBus reads skipped positions from the stream and records here what
 * each one holds (its stream, which never changes) and when it is gone (acknowledged). Bounded:
 * beyond MAX_TRACKED_GAPS the oldest positions are forgotten (counted), so a relay beside a peer
 * stuck on one event for hours does not grow without limit.
 */

/** Skipped positions remembered at most (a Map entry and a short key each: a few MiB at most). */
export const MAX_TRACKED_GAPS = 100_000;

/** What a skipped position holds: its event's `type` + stream key, once read. */
export type GapKey = string;

export function gapKey(type: string, streamKey: string): GapKey {
  return `${type}\n${streamKey}`;
}

export class EventGaps {
  /** position → its event's key (undefined until read) */
  readonly #unseen = new Map<number, GapKey | undefined>();
  #maxSeen: number;
  /** Positions forgotten to stay within MAX_TRACKED_GAPS. */
  forgotten = 0;

  /** `firstSeq`: the stream's first position when consuming starts (nothing below it exists). */
  constructor(firstSeq: number) {
    this.#maxSeen = firstSeq - 1;
  }

  get size(): number {
    return this.#unseen.size;
  }

  /** This consumer was handed `seq`. */
  seen(seq: number): void {
    if (seq > this.#maxSeen) {
      const from = Math.max(this.#maxSeen + 1, seq - MAX_TRACKED_GAPS);
      this.forgotten += from - (this.#maxSeen + 1);
      for (let s = from; s < seq; s++) this.#unseen.set(s, undefined);
      this.#maxSeen = seq;
      this.#bound();
    } else {
      this.#unseen.delete(seq);
    }
  }

  /** Skipped positions below `seq`, nearest first, with their key when known. */
  below(seq: number): Array<[number, GapKey | undefined]> {
    const out: Array<[number, GapKey | undefined]> = [];
    for (const entry of this.#unseen) if (entry[0] < seq) out.push(entry);
    return out.reverse(); // insertion order is ascending
  }

  /** Records what `seq` holds (read from the stream). */
  describe(seq: number, key: GapKey): void {
    if (this.#unseen.has(seq)) this.#unseen.set(seq, key);
  }

  /** `seq` is settled elsewhere (acknowledged and removed from the stream). */
  settled(seq: number): void {
    this.#unseen.delete(seq);
  }

  /** Everything below the stream's current first position is settled. */
  settledBelow(firstSeq: number): void {
    for (const s of this.#unseen.keys()) {
      if (s >= firstSeq) break;
      this.#unseen.delete(s);
    }
  }

  #bound(): void {
    for (const s of this.#unseen.keys()) {
      if (this.#unseen.size <= MAX_TRACKED_GAPS) return;
      this.#unseen.delete(s);
      this.forgotten++;
    }
  }
}
