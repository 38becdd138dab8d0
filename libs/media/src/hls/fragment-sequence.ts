/**
 * The mfhd sequence number of a part's fragment: from the segment's number and the part's index,
 * so replicas that cut the same part give it the same number whenever each of them started
 * (ISO/IEC 14496-12 §8.8.5 asks only that it grow).
 */

/** The part index keeps 10 bits (a segment of more parts only repeats numbers, which players ignore). */
export const PARTS_PER_SEGMENT_NUMBERING = 1024;

/** 2^32 / PARTS_PER_SEGMENT_NUMBERING: the segment numbers the 32-bit field tells apart before it wraps. */
const SEGMENT_NUMBERS = 0x40_0000;

export function fragmentSequence(msn: number, index: number): number {
  return ((msn % SEGMENT_NUMBERS) * PARTS_PER_SEGMENT_NUMBERING + (index % PARTS_PER_SEGMENT_NUMBERING) + 1) >>> 0;
}
