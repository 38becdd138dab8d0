/**
 * Dependencies point one way (STYLE.md): runtime ← media ← jt1078 ← ingest; media ← bus ←
 * packager. The packager never imports the JT1078 codec; the media library knows nothing of
 * JT1078, NATS or Redis; libraries never import services; packages meet only through their
 * public entries, never by relative paths into each other. Segment numbering (libs/numbering:
 * the marker rule, the cursor, the header names) imports nothing of ours, so media, bus, store,
 * ingest and packager can all take it from its one owner. Benchmarks and the simulated peers
 * live in their own workspace (bench/), which production code never reaches.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (name.endsWith('.ts')) out.push(full);
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/g)) specs.push(m[1]!);
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1]!);
  return specs;
}

/** package folder → module specifiers it must not import (prefix match). */
const FORBIDDEN: Readonly<Record<string, readonly string[]>> = {
  'libs/numbering': ['@jt1078/', '@nats-io/', 'ioredis'],
  'libs/runtime': ['@jt1078/numbering', '@jt1078/media', '@jt1078/jt1078', '@jt1078/bus', '@jt1078/store', '@jt1078/svc-', '@nats-io/', 'ioredis'],
  'libs/media': ['@jt1078/jt1078', '@jt1078/bus', '@jt1078/store', '@jt1078/svc-', '@nats-io/', 'ioredis'],
  'libs/jt1078': ['@jt1078/bus', '@jt1078/store', '@jt1078/svc-', '@nats-io/', 'ioredis'],
  'libs/bus': ['@jt1078/jt1078', '@jt1078/store', '@jt1078/svc-', 'ioredis'],
  'libs/store': ['@jt1078/jt1078', '@jt1078/bus', '@jt1078/svc-', '@nats-io/'],
  'libs/webrtc': ['@jt1078/jt1078', '@jt1078/bus', '@jt1078/store', '@jt1078/media', '@jt1078/numbering', '@jt1078/svc-', '@nats-io/', 'ioredis'],
  'services/packager': ['@jt1078/jt1078'],
};

describe('package dependencies point one way', () => {
  for (const [pkg, forbidden] of Object.entries(FORBIDDEN)) {
    it(`${pkg} imports none of ${forbidden.join(', ')}`, () => {
      const offenders: string[] = [];
      for (const file of sourceFiles(path.join(ROOT, pkg, 'src'))) {
        for (const spec of importsOf(file)) {
          if (forbidden.some((f) => spec.startsWith(f))) offenders.push(`${path.relative(ROOT, file)} → ${spec}`);
        }
      }
      expect(offenders).toEqual([]);
    });
  }

  it('no package reaches into another by a relative path', () => {
    const offenders: string[] = [];
    for (const top of ['libs', 'services']) {
      for (const pkg of readdirSync(path.join(ROOT, top))) {
        const pkgRoot = path.join(ROOT, top, pkg);
        for (const file of sourceFiles(path.join(pkgRoot, 'src'))) {
          for (const spec of importsOf(file)) {
            if (!spec.startsWith('.')) continue;
            const target = path.resolve(path.dirname(file), spec);
            // Tests may use the shared test support (finding NATS/Redis, Chromium); code may not.
            const testSupport = file.endsWith('.test.ts') && target.startsWith(path.join(ROOT, 'test', 'support') + path.sep);
            if (!target.startsWith(pkgRoot + path.sep) && !testSupport) offenders.push(`${path.relative(ROOT, file)} → ${spec}`);
          }
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});

/** Every library and service package folder (`libs/x`, `services/y`). */
function productionPackages(): string[] {
  return ['libs', 'services'].flatMap((top) => readdirSync(path.join(ROOT, top)).map((pkg) => path.join(top, pkg)));
}

/** Files the packages ship: their sources without the tests (the image compiles these). */
function productionFiles(): string[] {
  return productionPackages().flatMap((pkg) => sourceFiles(path.join(ROOT, pkg, 'src')).filter((f) => !f.endsWith('.test.ts')));
}

const BENCH_ROOT = path.join(ROOT, 'bench');
const BENCH_PACKAGE = '@jt1078/bench';
/** A benchmark file, or a folder named for benchmarks (`bench/`, `packager-bench/`). */
const BENCH_PATH = /(?:^|[/\\])[^/\\]*bench[^/\\]*[/\\]|\.bench\.ts$/;

describe('production code never reaches bench code', () => {
  it(`no library or service source imports ${BENCH_PACKAGE} or a file under bench/`, () => {
    const offenders: string[] = [];
    for (const file of productionFiles()) {
      for (const spec of importsOf(file)) {
        const intoBench = spec.startsWith('.') && path.resolve(path.dirname(file), spec).startsWith(BENCH_ROOT + path.sep);
        if (spec === BENCH_PACKAGE || spec.startsWith(`${BENCH_PACKAGE}/`) || intoBench) offenders.push(`${path.relative(ROOT, file)} → ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('no benchmark file or bench folder sits under a library or service src/', () => {
    const offenders = productionFiles()
      .map((f) => path.relative(ROOT, f))
      .filter((f) => BENCH_PATH.test(f.slice(f.indexOf(`${path.sep}src${path.sep}`))));
    expect(offenders).toEqual([]);
  });

  it('no library or service exports a bench entry', () => {
    const offenders: string[] = [];
    for (const pkg of productionPackages()) {
      const manifest = JSON.parse(readFileSync(path.join(ROOT, pkg, 'package.json'), 'utf8')) as { exports?: Record<string, string> };
      for (const [entry, target] of Object.entries(manifest.exports ?? {})) {
        if (/bench/.test(entry) || /bench/.test(target)) offenders.push(`${pkg}: "${entry}": "${target}"`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("the image's compile step takes libraries and services only, so bench/ stays out", () => {
    const image = JSON.parse(readFileSync(path.join(ROOT, 'deploy', 'tsconfig.image.json'), 'utf8')) as { include: string[] };
    const outside = image.include.filter((p) => !['libs', 'services'].some((top) => path.resolve(ROOT, 'deploy', p).startsWith(path.join(ROOT, top) + path.sep)));
    expect(outside).toEqual([]);
  });
});

/** STYLE.md: a file is one thing; past this many lines it is two. */
const MAX_SOURCE_LINES = 400;

describe('source files stay small', () => {
  it(`no library or service source file (tests aside) is over ${MAX_SOURCE_LINES} lines`, () => {
    const offenders = productionFiles()
      .map((f) => ({ file: path.relative(ROOT, f), lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
      .filter((f) => f.lines > MAX_SOURCE_LINES)
      .map((f) => `${f.file}: ${f.lines} lines`);
    expect(offenders).toEqual([]);
  });
});
