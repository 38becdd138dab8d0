/**
 * `jt1078 start` as a user runs it (a child process, no NATS or Redis), with a simulation of a
 * capture the project ships: the console in real Chromium lists the stream and plays it with
 * hls.js in low-latency mode, shows joins and leaves as they happen, and talks to the intercom
 * over WebRTC with a fake microphone (and says so when the microphone is denied). The fleet
 * views (grid, search, ended, phone) are in console-fleet.browser.test.ts.
 *
 * Chromium runs with a fake microphone but without --use-fake-ui-for-media-stream: that flag
 * accepts every permission prompt, so a denied microphone could not be shown. The denied case
 * sets the site's microphone to Block; a case that talks grants it as a user would.
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
const BIN = path.join(ROOT, 'services/all-in-one/bin/jt1078.js');
const CAPTURE = path.join(ROOT, 'testdata/media/h264-g711u.bin');
const STREAM = 'live/jt1078-013900000003-1';

describe('jt1078 start + console in Chromium', () => {
  let child: ChildProcess;
  let browser: BrowserContext;
  let base = '';
  let livePort = 0;
  let logs = '';

  beforeAll(async () => {
    const [live, playback, http, webrtc, audio] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    livePort = live;
    const config = path.join(mkdtempSync(path.join(tmpdir(), 'start-')), 'config.yaml');
    writeFileSync(config, [
      'jt1078:',
      `  realtime: { addr: '127.0.0.1:${live}' }`,
      `  playback: { addr: '127.0.0.1:${playback}' }`,
      `  intercom: { jt1078webrtc: { port: ${webrtc} }, audio_ports: [${audio}, ${audio}] }`,
      '  simulations:',
      `    - { name: ${CAPTURE}, addr: '127.0.0.1:${live}' }`,
      'cluster:',
      `  http: { addr: '127.0.0.1:${http}' }`,
    ].join('\n'));
    const env = { ...process.env };
    delete env['NATS_URL'];
    delete env['REDIS_URL'];
    child = spawn(process.execPath, [BIN, 'start', '--config', config], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
    child.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
    await until(() => logs.includes('jt1078 ready'), 20_000, () => `jt1078 start to be ready; logs:\n${logs}`);
    base = `http://127.0.0.1:${http}`;
    browser = await launchChromium(['--use-fake-device-for-media-stream']);
  });

  afterAll(async () => {
    await browser?.close();
    child?.kill('SIGTERM');
  });

  it('lists the simulated stream and, the only one, plays it by itself: time advances, frame size from the SPS', async () => {
    const page = await browser.newPage();
    await page.goto(base);
    const card = page.locator(`li.stream[data-stream="${STREAM}"]`);
    await card.waitFor({ timeout: 15_000 });
    await page.waitForFunction((p) => {
      const v = document.querySelector(`li.stream[data-stream="${p}"] video`) as HTMLVideoElement;
      return v.currentTime > 3 && v.videoWidth > 0;
    }, STREAM, { timeout: 30_000 });
    const size = await card.locator('video').evaluate((v: HTMLVideoElement) => ({ width: v.videoWidth, height: v.videoHeight, time: v.currentTime }));
    expect(size.width).toBe(320);
    expect(size.height).toBe(240);
    expect(size.time).toBeGreaterThan(3);
    expect(await card.getByRole('button', { name: /live\/jt1078-013900000003-1/ }).getAttribute('aria-pressed')).toBe('true');
    // The tile shows codec, size, bitrate and live latency for the stream it plays (rewritten every 500 ms).
    const shown = /avc1\.[0-9a-fA-F]{6}.* 320×240, [1-9]\d* kbit\/s, t=[\d.]+ s, live latency [\d.]+ s/;
    const info = await page.waitForFunction(({ p, re }) => {
      const text = document.querySelector(`li.stream[data-stream="${p}"] .playback`)!.textContent ?? '';
      return new RegExp(re).test(text) && text;
    }, { p: STREAM, re: shown.source }, { timeout: 10_000 });
    expect(await info.jsonValue()).toMatch(shown);
    await saveScreenshot(page, 'console-playing');
    await page.close();
  }, 60_000);

  it('plays the stream over WHEP and over HTTP-FLV when the player is switched, each with its live latency', async () => {
    const page = await browser.newPage();
    await page.goto(base);
    const card = page.locator(`li.stream[data-stream="${STREAM}"]`);
    await card.waitFor({ timeout: 15_000 });
    for (const [protocol, name, latency] of [['whep', 'WHEP', /live latency \d+ ms/], ['flv', 'HTTP-FLV', /live latency (\d+ ms|[\d.]+ s)/]] as const) {
      await page.locator('#protocol').selectOption(protocol);
      // Switching restarts a playing tile with the new player; a stopped one starts on ▶.
      if ((await card.locator('button.play').getAttribute('aria-pressed')) !== 'true') await card.locator('button.play').click();
      const startedAt = await card.locator('video').evaluate((v: HTMLVideoElement) => v.currentTime);
      await page.waitForFunction(({ p, from }) => {
        const v = document.querySelector(`li.stream[data-stream="${p}"] video`) as HTMLVideoElement;
        return v.videoWidth === 320 && (v.currentTime > from + 2 || (from > 0 && v.currentTime > 2));
      }, { p: STREAM, from: startedAt }, { timeout: 30_000 });
      const info = await page.waitForFunction(({ p, n, re }) => {
        const text = document.querySelector(`li.stream[data-stream="${p}"] .playback`)!.textContent ?? '';
        return text.startsWith(`${n}: playing`) && new RegExp(re).test(text) && text;
      }, { p: STREAM, n: name, re: latency.source }, { timeout: 15_000 });
      expect(await info.jsonValue()).toMatch(latency);
      await saveScreenshot(page, `console-${protocol}`);
    }
    await page.locator('#protocol').selectOption('hls');
    await page.close();
  }, 120_000);

  it('serves the stream list and LL-HLS playlist a CDN can cache', async () => {
    const streams = (await (await fetch(`${base}/api/v1/streams`)).json()) as Array<{ streamPath: string }>;
    expect(streams.map((s) => s.streamPath)).toContain(STREAM);
    const res = await fetch(`${base}/hls/${STREAM}/index.m3u8`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=1');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const playlist = await res.text();
    expect(playlist).toMatch(/#EXT-X-PART-INF:PART-TARGET=0.5/);
    expect((await fetch(`${base}/hls/live/jt1078-999999999999-1/index.m3u8`)).status).toBe(404);
    // Far ahead of the live edge (§6.2.5.2: more than two segments): refused, not waited for.
    const sequence = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(playlist)![1]);
    expect((await fetch(`${base}/hls/${STREAM}/index.m3u8?_HLS_msn=${sequence + 1000}`)).status).toBe(400);
  });

  it('shows joins and leaves in the event log as they happen, newest first', async () => {
    const page = await browser.newPage();
    await page.goto(base);
    const log = page.locator('#events li');
    // The simulation joined before the page opened: the stream's recent events are replayed.
    await page.locator('#events li.join', { hasText: STREAM }).first().waitFor({ timeout: 10_000 });
    await page.locator('#feed-state', { hasText: 'events: live' }).waitFor({ timeout: 5000 });
    // A second device plays the capture once: its join, then its leave, arrive while the page is open.
    const other = 'live/jt1078-013900000099-1';
    const device = spawn(process.execPath, [BIN, 'simulate', '--file', CAPTURE, '--addr', `127.0.0.1:${livePort}`, '--sim', '013900000099'], { stdio: 'ignore' });
    try {
      await page.locator('#events li.leave', { hasText: other }).waitFor({ timeout: 20_000 });
    } finally {
      device.kill();
    }
    const rows = await log.evaluateAll((lis) => lis.map((li) => `${li.className} ${li.querySelector('.key')?.textContent ?? ''}`));
    const leave = rows.findIndex((r) => r.startsWith('leave') && r.includes(other));
    const join = rows.findIndex((r) => r.startsWith('join') && r.includes(other));
    expect(leave).toBe(0);
    expect(join).toBeGreaterThan(leave);
    expect(rows.filter((r) => r.includes(other))).toHaveLength(2);
    expect(await log.first().locator('.what').textContent()).toBe('realtime leave');
    await page.close();
  }, 40_000);

  it('serves the event stream to any client: replay of recent events, then live', async () => {
    const abort = new AbortController();
    const res = await fetch(`${base}/api/v1/events`, { signal: abort.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes(`"streamKey":"${STREAM}"`)) text += new TextDecoder().decode((await reader.read()).value);
    abort.abort();
    const first = /^data: (.*)$/m.exec(text)![1]!;
    expect(JSON.parse(first)).toMatchObject({ type: 'realtime', action: 'join', body: { streamPath: STREAM, sim: '013900000003', channel: 1 } });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^jt1078_console_events_total\{[^}]*\} [1-9]/m);
  });

  it('says clearly when the microphone is denied, and leases nothing', async () => {
    const page = await browser.newPage();
    // The site's microphone set to Block, as a user who refused it: getUserMedia rejects at once.
    // (Left at "ask", headless Chromium dismisses the prompt on its own schedule: once, under load,
    // not within 10 s.)
    const cdp = await browser.newCDPSession(page);
    await cdp.send('Browser.setPermission', { permission: { name: 'microphone' }, setting: 'denied', origin: base });
    try {
      await page.goto(base);
      const card = page.locator('li.stream', { hasText: STREAM });
      await card.getByRole('button', { name: 'Talk' }).click();
      const state = card.locator('.talk-state');
      await state.filter({ hasText: /permission denied/ }).waitFor({ timeout: 10_000 }).catch(async (err: unknown) => {
        throw new Error(`the talk never said the microphone was denied; the tile shows "${await state.textContent()}"`, { cause: err });
      });
      expect(await state.textContent()).toMatch(/^error: microphone permission denied\. Allow the microphone for this site/);
      expect(await state.getAttribute('data-state')).toBe('error');
      expect(await card.getByRole('button', { name: 'Talk' }).isVisible()).toBe(true);
      const leases = (await (await fetch(`${base}/api/v1/intercom/leases`)).json()) as { leases: unknown[] };
      expect(leases.leases).toEqual([]);
    } finally {
      await browser.clearPermissions();
      await page.close();
    }
  });

  it('talks: leases a port, waits for the device, connects WebRTC to the intercom with the microphone, hangs up', async () => {
    await browser.grantPermissions(['microphone'], { origin: base });
    const page = await browser.newPage();
    try {
      await page.goto(base);
      const card = page.locator('li.stream', { hasText: STREAM });
      await card.getByRole('button', { name: 'Talk' }).click();
      const state = card.locator('.talk-state');
      // No device on the port: it waits for one, and says what the device must be sent.
      await state.filter({ hasText: /^waiting: waiting for the device on audio port \d+$/ }).waitFor({ timeout: 15_000 });
      await card.locator('.talk-link', { hasText: 'browser ↔ intercom: connected' }).waitFor({ timeout: 30_000 });
      const leases = (await (await fetch(`${base}/api/v1/intercom/leases`)).json()) as { leases: Array<{ sim: string; channel: number; port: number }> };
      expect(leases.leases).toEqual([expect.objectContaining({ sim: '013900000003', channel: 1 })]);
      expect(await state.textContent()).toBe(`waiting: waiting for the device on audio port ${leases.leases[0]!.port}`);
      const sessions = async () => (await (await fetch(`${base}/api/v1/intercom/sessions`)).json()) as unknown[];
      expect(await sessions()).toHaveLength(1);
      await saveScreenshot(page, 'console-talking');
      await card.getByRole('button', { name: 'Hang up' }).click();
      await state.filter({ hasText: /^ended/ }).waitFor({ timeout: 10_000 });
      await until(async () => ((await (await fetch(`${base}/api/v1/intercom/leases`)).json()) as { leases: unknown[] }).leases.length === 0, 10_000, 'the lease to be freed');
      await until(async () => (await sessions()).length === 0, 10_000, 'the WebRTC session to end');
      expect(await card.getByRole('button', { name: 'Talk' }).isVisible()).toBe(true);
    } finally {
      await browser.clearPermissions();
      await page.close();
    }
  }, 60_000);
});
