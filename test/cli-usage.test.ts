/**
 * Every command as a newcomer meets it: `--help` works everywhere, a wrong command line exits 2
 * with the command's usage, a failure exits 1 with a reason, and no message shows a stack trace
 * or a raw errno (ENOENT). Each runs the real command in a child process.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CAPTURE, STACK_LINE, runJt1078, tempFile } from './support/jt1078-cli.js';
import { freePort } from './support/services.js';

const COMMANDS = ['start', 'ingest', 'packager', 'intercom', 'webhook', 'inspect', 'package', 'simulate', 'bench'];

describe('--help', () => {
  it.each(COMMANDS)('jt1078 %s --help prints its usage and exits 0', async (command) => {
    const r = await runJt1078([command, '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: jt1078 ${command}\\b`));
    expect(r.stderr).toBe('');
  });

  it('jt1078 --help lists every command and the exit codes', async () => {
    const r = await runJt1078(['--help']);
    expect(r.status).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    expect(r.stdout).toContain('Exit codes: 0 success, 1 failure');
  });
});

describe('a wrong command line exits 2 with the usage', () => {
  it('an unknown option, without Node\'s hint about positional arguments', async () => {
    const r = await runJt1078(['inspect', '--bogus', CAPTURE]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^jt1078 inspect: Unknown option '--bogus'\.\nUsage: jt1078 inspect FILE/);
    expect(r.stderr).not.toContain('positional argument');
  });

  it('package --part-ms abc is refused, naming the option', async () => {
    const r = await runJt1078(['package', CAPTURE, '--out', mkdtempSync(path.join(tmpdir(), 'pkg-')), '--part-ms', 'abc']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^jt1078 package: --part-ms must be a whole number of milliseconds from 100 to 5000, got 'abc'\nUsage: jt1078 package/);
  });

  it('package --out /proc/x is checked before any work, and does not hang', async () => {
    const r = await runJt1078(['package', CAPTURE, '--out', '/proc/x'], {}, 20_000);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^jt1078 package: cannot write \/proc\/x \(.+\)\. Give --out a directory you can write to/);
  });

  it('simulate with a missing file names it, without a raw ENOENT', async () => {
    const r = await runJt1078(['simulate', '--file', 'missing.bin']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^jt1078 simulate: no file missing\.bin \(from .*\)\. Give --file the path of a JT1078 capture/);
    expect(r.stderr).not.toMatch(/ENOENT|no such file/);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('simulate --devices 0 is refused', async () => {
    const r = await runJt1078(['simulate', '--file', CAPTURE, '--devices', '0']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^jt1078 simulate: --devices must be a positive integer, got '0'/);
  });
});

describe('a failure exits 1 with the reason', () => {
  it('package of an empty file', async () => {
    const r = await runJt1078(['package', tempFile('empty.bin', ''), '--out', mkdtempSync(path.join(tmpdir(), 'pkg-'))]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/empty\.bin holds no JT1078 packet: it is empty\. .*Nothing written/);
  });

  it('package of random bytes', async () => {
    const r = await runJt1078(['package', tempFile('random.bin', randomBytes(4096)), '--out', mkdtempSync(path.join(tmpdir(), 'pkg-'))]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/random\.bin holds no JT1078 packet: none of its 4096 bytes/);
  });

  it('inspect of random bytes', async () => {
    const r = await runJt1078(['inspect', tempFile('random.bin', randomBytes(4096))]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^jt1078 inspect: .*random\.bin holds no JT1078 packet/m);
  });

  it('simulate to a closed port gives up after 10 s of refused connections (without --loop)', async () => {
    const port = await freePort();
    const r = await runJt1078(['simulate', '--file', CAPTURE, '--addr', `127.0.0.1:${port}`], {}, 60_000);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`jt1078 simulate: nothing accepted a connection at 127.0.0.1:${port} for 10 s (connection refused). Start the ingest there`);
    expect(r.stderr).not.toMatch(STACK_LINE);
  }, 70_000);

  it('simulate to an unknown host gives up too, naming why', async () => {
    const r = await runJt1078(['simulate', '--file', CAPTURE, '--addr', 'no-such-host.invalid:12051'], {}, 60_000);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/nothing accepted a connection at no-such-host\.invalid:12051 for 10 s \((ENOTFOUND|EAI_AGAIN)\)/);
  }, 70_000);
});

describe('stack traces', () => {
  it('are shown only with --verbose', async () => {
    const file = tempFile('random.bin', randomBytes(4096));
    const quiet = await runJt1078(['simulate', '--file', file]);
    expect(quiet.status).toBe(1);
    expect(quiet.stderr).toMatch(/^jt1078 simulate: [^\n]*no JT1078 packet[^\n]*\n$/);
    const verbose = await runJt1078(['simulate', '--file', file, '--verbose']);
    expect(verbose.status).toBe(1);
    expect(verbose.stderr).toMatch(/^jt1078 simulate: \w+Error: [^\n]*no JT1078 packet/);
    expect(verbose.stderr).toMatch(STACK_LINE);
  });
});

describe('simulate\'s default SIM', () => {
  it('is not the capture\'s own (the SIM `jt1078 start` already streams)', async () => {
    const port = await freePort();
    // Killed after its first line: the SIM it chose is in it.
    const r = await runJt1078(['simulate', '--file', CAPTURE, '--addr', `127.0.0.1:${port}`], {}, 4000);
    const sim = /SIM (\d+) →/.exec(r.stderr)?.[1];
    expect(sim).toMatch(/^0199\d{8}$/);
    expect(sim).not.toBe('013900000003');
  });
});
