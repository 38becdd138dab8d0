/**
 * The README's two commands on a fresh clone, as a new user runs them: `npm install`, then
 * `npm start` serves the console and a live simulated stream with no NATS or Redis. (The test
 * command, `npm test`, is what CI runs on a fresh clone already; running it again from inside
 * itself would only recurse.) And the README keeps up with the code: every config key and every
 * dependency is in it, and its example NATS subscriber runs and reads what the bus publishes.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NatsMediaBus, type FrameEnvelope } from '@jt1078/bus';
import { configSchema } from '@jt1078/runtime/config';
import { freePort, natsUrl, uniquePrefix, until } from './support/services.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** Every key path of the schema (`jt1078.simulations[].name` for array items), unwrapping defaults. */
function configKeys(schema: z.ZodType, prefix = ''): string[] {
  let s: z.ZodType = schema;
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional) s = s.def.innerType as z.ZodType;
    else if (s instanceof z.ZodPipe) s = s.def.in as z.ZodType;
    else break;
  }
  if (s instanceof z.ZodObject) return Object.entries(s.shape as Record<string, z.ZodType>).flatMap(([k, v]) => configKeys(v, prefix ? `${prefix}.${k}` : k));
  if (s instanceof z.ZodArray && (s.def.element as z.ZodType) instanceof z.ZodObject) return configKeys(s.def.element as z.ZodType, `${prefix}[]`);
  return [prefix];
}

describe('README reference', () => {
  it('documents every configuration key', () => {
    const keys = configKeys(configSchema);
    expect(keys.length).toBeGreaterThan(40);
    expect(keys.filter((k) => !README.includes(`| \`${k}\` |`))).toEqual([]);
  });

  it('says why for every dependency', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    const table = README.slice(README.indexOf('## Dependencies, and why'));
    const names = [...Object.keys(pkg['dependencies'] ?? {}), ...Object.keys(pkg['devDependencies'] ?? {})];
    expect(names.filter((n) => !new RegExp(`^\\| [^|]*${n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}[ ,]`, 'm').test(table))).toEqual([]);
  });

  it('has an example subscriber that runs and prints what the bus publishes, segment included', async () => {
    const code = /## NATS subjects[\s\S]*?```js\n([\s\S]*?)```/.exec(README)?.[1];
    expect(code?.split('\n').filter(Boolean).length).toBeLessThanOrEqual(10);
    const url = await natsUrl();
    const root = uniquePrefix('readme');
    const dir = mkdtempSync(path.join(tmpdir(), 'readme-sub-'));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    // The example as written, on this test's NATS and subject root.
    writeFileSync(path.join(dir, 'subscriber.mjs'), code!.replace("'nats://127.0.0.1:4222'", JSON.stringify(url)).replace("'jt1078.media.live.>'", `'${root}.media.live.>'`));
    const bus = await NatsMediaBus.connect({ url, root });
    const sub = spawn(process.execPath, [path.join(dir, 'subscriber.mjs')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    sub.stdout!.on('data', (d: Buffer) => (out += d));
    sub.stderr!.on('data', (d: Buffer) => (out += d));
    const frame: FrameEnvelope = {
      streamKind: 'live', sim: '013900000042', channel: 2, codec: 'h264', mediaKind: 'video', keyFrame: true, timestamp: 120, sequence: 3,
      connectionId: 'readme', streamPath: 'live/jt1078-013900000042-2', segment: 7, data: new Uint8Array(1234),
    };
    try {
      // Published until the example (which says nothing when it has subscribed) prints it.
      await until(() => {
        bus.publishFrame(frame);
        return out.includes('\n');
      }, 15_000, `the example subscriber to print a frame; it printed:\n${out}`);
      expect(out.split('\n')[0]).toBe(`${root}.media.live.013900000042.2 h264 key ts 120 seq 3 1234 bytes opens segment 7`);
    } finally {
      sub.kill();
      await bus.deleteStreams();
      await bus.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

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
    // Every port free (README "Environment"): a `jt1078 start` already running on this machine must not fail the test.
    const [http, live, playback, audio, webrtc] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HTTP_ADDR: `127.0.0.1:${http}`, REALTIME_ADDR: `127.0.0.1:${live}`, PLAYBACK_ADDR: `127.0.0.1:${playback}`, AUDIO_PORTS: `${audio}-${audio}`, WEBRTC_PORT: String(webrtc),
    };
    delete env['NATS_URL'];
    delete env['REDIS_URL'];
    let logs = '';
    child = spawn('npm', ['start'], { cwd: clone, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout!.on('data', (d: Buffer) => (logs += d));
    child.stderr!.on('data', (d: Buffer) => (logs += d));
    await until(() => logs.includes('jt1078 ready'), 30_000, () => `npm start; logs:\n${logs}`);
    const page = await fetch(`http://127.0.0.1:${http}/`);
    expect(await page.text()).toContain('jt1078-cluster');
    await until(async () => ((await (await fetch(`http://127.0.0.1:${http}/api/v1/streams`)).json()) as unknown[]).length === 1, 15_000, 'the simulated stream');
    process.kill(-child.pid!, 'SIGTERM');
  }, 300_000);
});
