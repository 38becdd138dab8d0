/**
 * The shape every benchmark group returns; `jt1078 bench --json FILE` writes these results
 * under `{ machine, results }` so runs can be compared over time.
 */
export interface BenchResult {
  /** Dotted name, group first: `demux.10k`. */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** A baseline measured in the same process run (a plain Buffer copy, ffmpeg, a plain publish). */
  readonly baseline?: { readonly name: string; readonly value: number; readonly unit?: string };
  /** value / baseline.value, or the reverse where lower is better; say which in `note`. */
  readonly ratio?: number;
  readonly note?: string;
}

export interface BenchContext {
  /** Fewer iterations, for smoke runs in tests. */
  readonly quick: boolean;
  /** Progress lines for the person waiting; never per iteration. */
  readonly log: (line: string) => void;
}

export interface BenchGroup {
  /** Group name used by `jt1078 bench --only <name>`. */
  readonly name: string;
  readonly description: string;
  run(ctx: BenchContext): Promise<BenchResult[]>;
}
