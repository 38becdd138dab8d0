/**
 * `jt1078 bench` reaches the bench workspace only at run time: from a checkout it runs the
 * groups as documented (docs/benchmarks.md); where the workspace is absent (the production
 * image) it says so and exits 2, instead of a module-not-found trace.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runJt1078 } from '../../../../test/support/jt1078-cli.js';
import { BENCH_NOT_INSTALLED, loadBenchCommand } from './load-bench-command.js';

/** Both load every group's modules (werift, playwright-core, …): slow on a busy two-core machine. */
const LOADS_EVERY_GROUP_MS = 120_000;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('jt1078 bench', () => {
  it('without the bench workspace: says it is not installed here and exits 2', async () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const command = await loadBenchCommand('@jt1078/bench-absent-for-this-test');
    expect(await command(['--list'])).toBe(2);
    expect(written).toEqual([`${BENCH_NOT_INSTALLED}\n`]);
    expect(BENCH_NOT_INSTALLED).toMatch(/^jt1078 bench: the bench workspace is not installed here\b/);
  });

  it('from a checkout: --list names every documented group', async () => {
    const r = await runJt1078(['bench', '--list'], {}, 120_000);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const groups = r.stdout.trim().split('\n').map((line) => line.split('\t')[0]);
    for (const g of ['demux', 'fuzz-net']) expect(groups).toContain(g);
  }, LOADS_EVERY_GROUP_MS);

  it('from a checkout: --only with an unknown group exits 2 naming the groups', async () => {
    const r = await runJt1078(['bench', '--only', 'no-such-group'], {}, 120_000);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^jt1078 bench: no group named 'no-such-group'\. Groups: .*\bdemux\b/);
  }, LOADS_EVERY_GROUP_MS);
});
