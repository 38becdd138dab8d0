/**
 * Finds `jt1078 bench` at run time. The benchmarks live in their own workspace (bench/), which
 * production code never imports (test/architecture.test.ts): the package is resolved by name
 * here and loaded only when asked for, so the production image — built without it — still
 * answers `jt1078 bench`, with a clear word instead of a module-not-found trace.
 */
export const BENCH_PACKAGE = '@jt1078/bench';

export const BENCH_NOT_INSTALLED = 'jt1078 bench: the bench workspace is not installed here (it ships with the repository, not the image: run it from a checkout after npm ci)';

type Command = (argv: string[]) => Promise<number>;

/** The part of the bench package's entry the CLI relies on. */
interface BenchEntry {
  readonly benchCommand: Command;
}

const notInstalled: Command = async () => {
  process.stderr.write(`${BENCH_NOT_INSTALLED}\n`);
  return 2;
};

/** `specifier` is for the test of the absent case; the CLI always passes the default. */
export async function loadBenchCommand(specifier: string = BENCH_PACKAGE): Promise<Command> {
  let url: string;
  try {
    url = import.meta.resolve(specifier);
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') return notInstalled;
    throw err;
  }
  const entry = (await import(url)) as BenchEntry;
  return entry.benchCommand;
}
