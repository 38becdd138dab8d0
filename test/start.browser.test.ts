/**
 * `jt1078 start` as a user runs it (a child process, no NATS or Redis), with a simulation of a
 * capture the project ships: the console in real Chromium lists the stream and plays it with
 * hls.js in low-latency mode.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, saveScreenshot } from './support/chromium.js';
import { freePort, until } from './support/services.js';

const ROOT = path.resolve(import.meta.dirname, '..');

describe('jt1078 start + console in Chromium', () => {
  let child: ChildProcess;
  let browser: BrowserContext;
  let base = '';
  let logs = '';

  beforeAll(async () => {
    const [live, playback, http] = [await freePort(), await freePort(), await freePort()];
    const config = path.join(mkdtempSync(path.join(tmpdir(), 'start-')), 'config.yaml');
    writeFileSync(config, [
      'jt1078:',
      `  realtime: { addr: '127.0.0.1:${live}' }`,
      `  playback: { addr: '127.0.0.1:${playback}' }`,
      '  simulations:',
      `    - { name: ${path.join(ROOT, 'testdata/media/h264-g711u.bin')}, addr: '127.0.0.1:${live}' }`,
      'cluster:',
      `  http: { addr: '127.0.0.1:${http}' }`,
    ].join('\n'));
    const env = { ...process.env };
    delete env['NATS_URL'];
    delete env['REDIS_URL'];
    child = spawn(process.execPath, [path.join(ROOT, 'services/all-in-one/bin/jt1078.js'), 'start', '--config', config], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
    child.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
    await until(() => logs.includes('jt1078 ready'), 20_000, `jt1078 start to be ready; logs:\n${logs}`);
    base = `http://127.0.0.1:${http}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    child?.kill('SIGTERM');
  });

  it('lists the simulated stream and plays it: time advances, frame size from the SPS', async () => {
    const page = await browser.newPage();
    await page.goto(base);
    const button = page.getByRole('button', { name: /live\/jt1078-013900000003-1/ });
    await button.waitFor({ timeout: 15_000 });
    await button.click();
    await page.waitForFunction(() => {
      const v = document.querySelector('video')!;
      return v.currentTime > 3 && v.videoWidth > 0;
    }, undefined, { timeout: 30_000 });
    const size = await page.evaluate(() => {
      const v = document.querySelector('video')!;
      return { width: v.videoWidth, height: v.videoHeight, time: v.currentTime };
    });
    expect(size.width).toBe(320);
    expect(size.height).toBe(240);
    expect(size.time).toBeGreaterThan(3);
    // The console shows codec, size, bitrate and live latency for the stream it plays.
    await page.waitForFunction(() => /kbit\/s/.test(document.getElementById('info')!.textContent ?? ''), undefined, { timeout: 5000 });
    const info = await page.locator('#info').textContent();
    expect(info).toMatch(/avc1\.[0-9a-f]{6}.* 320×240, [1-9]\d* kbit\/s, t=[\d.]+ s, live latency [\d.]+ s/);
    await saveScreenshot(page, 'console-playing');
    await page.close();
  }, 60_000);

  it('serves the stream list and LL-HLS playlist a CDN can cache', async () => {
    const streams = (await (await fetch(`${base}/api/v1/streams`)).json()) as Array<{ streamPath: string }>;
    expect(streams.map((s) => s.streamPath)).toContain('live/jt1078-013900000003-1');
    const res = await fetch(`${base}/hls/live/jt1078-013900000003-1/index.m3u8`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=1');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.text()).toMatch(/#EXT-X-PART-INF:PART-TARGET=0.5/);
    expect((await fetch(`${base}/hls/live/jt1078-999999999999-1/index.m3u8`)).status).toBe(404);
    expect((await fetch(`${base}/hls/live/jt1078-013900000003-1/index.m3u8?_HLS_msn=100000`)).status).toBe(400);
  });
});
