/** G.711's segment search (tables 1 and 2): which of the eight segments a magnitude falls in. */

/** The segment whose end point (`ends`, ascending) first reaches `v`; 8 when beyond the last. */
export function segmentOf(v: number, ends: readonly number[]): number {
  for (let i = 0; i < 8; i++) if (v <= ends[i]!) return i;
  return 8;
}
