/**
 * `jt1078 bench [--json FILE] [--only GROUP] [--quick]`: runs the benchmark groups that sit
 * beside the hot paths they measure, prints a table, and writes `{ machine, results }`.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { BenchGroup, BenchResult } from '@jt1078/runtime/bench';

/** Loaded lazily so one group's dependencies never slow another's start. */
const GROUP_LOADERS: ReadonlyArray<() => Promise<readonly BenchGroup[]>> = [
  async () => (await import('@jt1078/jt1078/bench')).demuxBenchGroups,
  async () => (await import('./package.bench.js')).packageBenchGroups,
  async () => (await import('./packager.bench.js')).packagerBenchGroups,
  async () => (await import('./packager-sharing.bench.js')).packagerSharingBenchGroups,
  async () => (await import('./viewers.bench.js')).viewersBenchGroups,
  async () => (await import('@jt1078/svc-webhook/bench')).webhookBenchGroups,
  async () => (await import('@jt1078/svc-ingest/bench')).ingestBenchGroups,
  async () => (await import('@jt1078/svc-intercom/bench')).intercomBenchGroups,
  async () => (await import('./fuzz-net.bench.js')).fuzzNetBenchGroups,
];

export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    date: new Date().toISOString(),
  };
}

export function formatResults(results: readonly BenchResult[]): string {
  const rows = results.map((r) => {
    const value = r.value >= 100 ? Math.round(r.value).toLocaleString('en-US') : r.value.toPrecision(3);
    const base = r.baseline ? `${r.baseline.name}: ${r.baseline.value.toPrecision(4)}${r.baseline.unit ? ` ${r.baseline.unit}` : ''}` : '';
    const ratio = r.ratio !== undefined ? `${r.ratio.toFixed(2)}×` : '';
    return `| ${r.name} | ${value} ${r.unit} | ${base} | ${ratio} | ${r.note ?? ''} |`;
  });
  return ['| benchmark | value | baseline (same run) | ratio | note |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

export async function loadBenchGroups(): Promise<BenchGroup[]> {
  const groups: BenchGroup[] = [];
  for (const load of GROUP_LOADERS) groups.push(...(await load()));
  return groups;
}

export async function benchCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'string' },
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
    },
  });
  const groups = await loadBenchGroups();
  if (values.list) {
    for (const g of groups) process.stdout.write(`${g.name}\t${g.description}\n`);
    return 0;
  }
  const selected = values.only ? groups.filter((g) => values.only!.split(',').includes(g.name)) : groups;
  if (selected.length === 0) {
    process.stderr.write(`jt1078 bench: no group named '${values.only}'. Groups: ${groups.map((g) => g.name).join(', ')}\n`);
    return 2;
  }
  const results: BenchResult[] = [];
  const log = (line: string) => process.stderr.write(`  ${line}\n`);
  for (const group of selected) {
    process.stderr.write(`bench ${group.name}: ${group.description}\n`);
    const started = Date.now();
    results.push(...(await group.run({ quick: values.quick, log })));
    process.stderr.write(`bench ${group.name}: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  const machine = machineInfo();
  process.stdout.write(`\nMachine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}\n\n`);
  process.stdout.write(`${formatResults(results)}\n`);
  if (values.json) {
    writeFileSync(values.json, `${JSON.stringify({ machine, results }, null, 2)}\n`);
    process.stderr.write(`wrote ${values.json}\n`);
  }
  return 0;
}
