/**
 * The README's two commands on a fresh clone, as a new user runs them: `npm install`, then
 * `npm start` serves the console and a live simulated stream with no NATS or Redis. (The test
 * command, `npm test`, is what CI runs on a fresh clone already; running it again from inside
 * itself would only recurse.)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, until } from './support/services.js';

const ROOT = path.resolve(import.meta.dirname, '..');

describe('README on a fresh clone', () => {
  // Beside the checkout, so the clone has ../shared as CI does.
  const clone = mkdtempSync(path.join(path.dirname(ROOT), 'readme-clone-'));
  let child: ChildProcess | undefined;

  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(clone, { recursive: true, force: true });
  });

  it('npm install, then npm start serves the console and a live stream', async () => {
    execFileSync('git', ['clone', '-q', ROOT, clone]);
    expect(existsSync(path.join(clone, 'README.md'))).toBe(true);
    const readme = execFileSync('cat', [path.join(clone, 'README.md')]).toString();
    expect(readme).toContain('npm install');
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
    execFileSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: clone, stdio: 'ignore', timeout: 240_000 });
    const http = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, HTTP_ADDR: `127.0.0.1:${http}` };
    delete env['NATS_URL'];
    delete env['REDIS_URL'];
    let logs = '';
    child = spawn('npm', ['start'], { cwd: clone, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout!.on('data', (d: Buffer) => (logs += d));
    child.stderr!.on('data', (d: Buffer) => (logs += d));
    await until(() => logs.includes('jt1078 ready'), 30_000, `npm start; logs:\n${logs}`);
    const page = await fetch(`http://127.0.0.1:${http}/`);
    expect(await page.text()).toContain('jt1078-cluster');
    await until(async () => ((await (await fetch(`http://127.0.0.1:${http}/api/v1/streams`)).json()) as unknown[]).length === 1, 15_000, 'the simulated stream');
    process.kill(-child.pid!, 'SIGTERM');
  }, 300_000);
});
