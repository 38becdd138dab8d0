/**
 * The console for a fleet, in real Chromium against `jt1078 start` (a child process on free
 * ports): the only stream plays by itself, fitted to its 4:3 picture; four channels of one
 * vehicle (four `jt1078 simulate` devices) are grouped under its SIM and play at once; their
 * stats update; search narrows the grid; a device that disconnects leaves an "ended" tile, not a
 * frozen picture; talk shows its real states with and without a device on the audio port; the
 * text passes WCAG AA contrast; and a phone gets one column. Screenshots go to test-artifacts/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedTalkDevice } from '@jt1078/bench/talk-device';
import { chromiumTalkArgs, fakeMicrophone, MIC_HZ, talkBack } from './fixtures/intercom-browser.js';
import { launchChromium, saveScreenshot } from './support/chromium.js';
import { BIN, CAPTURE, cliEnv } from './support/jt1078-cli.js';
import { freePort, until } from './support/services.js';

const VEHICLE = '013900000777';
const SHIPPED = 'live/jt1078-013900000003-1';
const channelPath = (c: number) => `live/jt1078-${VEHICLE}-${c}`;

describe('the fleet console in Chromium', () => {
  let server: ChildProcess;
  let browser: BrowserContext;
  let base = '';
  let live = 0;
  let logs = '';
  const devices = new Map<number, ChildProcess>();

  beforeAll(async () => {
    const [http, playback, audio, webrtc] = [await freePort(), await freePort(), await freePort(), await freePort()];
    live = await freePort();
    server = spawn(process.execPath, [BIN, 'start'], {
      env: cliEnv({ HTTP_ADDR: `127.0.0.1:${http}`, REALTIME_ADDR: `127.0.0.1:${live}`, PLAYBACK_ADDR: `127.0.0.1:${playback}`, AUDIO_PORTS: `${audio}-${audio}`, WEBRTC_PORT: String(webrtc) }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.on('data', (d: Buffer) => (logs += d));
    server.stderr!.on('data', (d: Buffer) => (logs += d));
    await until(() => logs.includes('jt1078 ready'), 30_000, () => `jt1078 start; logs:\n${logs}`);
    base = `http://127.0.0.1:${http}`;
    browser = await launchChromium(chromiumTalkArgs(fakeMicrophone(MIC_HZ)));
  }, 60_000);

  afterAll(async () => {
    for (const d of devices.values()) d.kill('SIGKILL');
    await browser?.close();
    server?.kill('SIGTERM');
  });

  async function listed(): Promise<Array<{ streamPath: string; viewers?: number }>> {
    return (await (await fetch(`${base}/api/v1/streams`)).json()) as Array<{ streamPath: string }>;
  }

  async function openConsole(width = 1280, height = 900): Promise<Page> {
    const page = await browser.newPage();
    await page.setViewportSize({ width, height });
    await page.goto(base);
    return page;
  }

  const tile = (page: Page, path: string) => page.locator(`li.stream[data-stream="${path}"]`);

  it('plays the only stream by itself, fitted to its 4:3 picture', async () => {
    await until(async () => (await listed()).length === 1, 20_000, 'the shipped simulation');
    const page = await openConsole();
    await page.waitForFunction((p) => {
      const v = document.querySelector(`li.stream[data-stream="${p}"] video`) as HTMLVideoElement | null;
      return v !== null && v.currentTime > 1 && v.videoWidth > 0;
    }, SHIPPED, { timeout: 40_000 });
    const box = await tile(page, SHIPPED).locator('video').boundingBox();
    expect(box!.width / box!.height).toBeCloseTo(320 / 240, 1);
    expect(await tile(page, SHIPPED).locator('.play').getAttribute('aria-pressed')).toBe('true');
    await saveScreenshot(page, 'fleet-autoplay');
    await page.close();
  }, 60_000);

  it('groups four channels of one vehicle under its SIM and plays them at once, with stats that update', async () => {
    for (const c of [1, 2, 3, 4]) {
      devices.set(c, spawn(process.execPath, [BIN, 'simulate', '--file', CAPTURE, '--addr', `127.0.0.1:${live}`, '--sim', VEHICLE, '--channel', String(c), '--loop'], { env: cliEnv(), stdio: 'ignore' }));
    }
    await until(async () => (await listed()).filter((s) => s.streamPath.includes(VEHICLE)).length === 4, 30_000, 'four channels listed');
    const page = await openConsole();
    const vehicle = page.locator(`section.vehicle[data-sim="${VEHICLE}"]`);
    await vehicle.locator('li.stream').nth(3).waitFor({ timeout: 15_000 });
    expect(await vehicle.locator('li.stream').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset['stream']))).toEqual([1, 2, 3, 4].map(channelPath));
    expect(await vehicle.locator('.count').textContent()).toBe('4 channels live');
    // Several vehicles: nothing plays until asked.
    expect(await page.locator('li.stream.playing').count()).toBe(0);
    await vehicle.getByRole('button', { name: 'Play all' }).click();
    await page.waitForFunction((sim) => {
      const videos = [...document.querySelectorAll(`section.vehicle[data-sim="${sim}"] video`)] as HTMLVideoElement[];
      return videos.length === 4 && videos.every((v) => v.currentTime > 1 && v.videoWidth === 320);
    }, VEHICLE, { timeout: 60_000 });
    // A grid: at 1280 px the four tiles sit in more than one column.
    const lefts = await vehicle.locator('li.stream').evaluateAll((lis) => lis.map((li) => Math.round(li.getBoundingClientRect().left)));
    expect(new Set(lefts).size).toBeGreaterThan(1);
    await saveScreenshot(page, 'fleet-grid-four-channels', { fullPage: true });

    // Stats in the list, before and while playing: codec, size, bit rate, frame rate, age of the last frame, viewers, drops.
    const stats = tile(page, channelPath(2)).locator('.stats');
    const shape = /^(h264|avc1[^ ]*)[^·]*· 320×240 · [1-9]\d* kbit\/s · [\d.]+ fps · last frame [\d.]+ s ago · [1-9]\d* viewers? · \d+ drops?/;
    await page.waitForFunction(({ path, re }) => new RegExp(re).test(document.querySelector(`li.stream[data-stream="${path}"] .stats`)!.textContent ?? ''), { path: channelPath(2), re: shape.source }, { timeout: 20_000 });
    const first = await stats.textContent();
    await until(async () => (await stats.textContent()) !== first, 10_000, 'the stats to change');
    // The list's numbers are the ingest's, refreshed with each registry heartbeat: frames go on counting.
    const frames = async () => ((await listed()).find((s) => s.streamPath === channelPath(2)) as { frames?: number } | undefined)?.frames ?? 0;
    const before = await frames();
    await until(async () => (await frames()) > before, 15_000, 'the listed frame count to grow');
    expect(await stats.textContent()).toMatch(shape);
    expect(await tile(page, channelPath(2)).locator('.playback').textContent()).toMatch(/^LL-HLS: playing [^ ]*avc1\.[0-9a-fA-F]{6}[^ ]* 320×240, \d+ kbit\/s, t=[\d.]+ s, live latency [\d.]+ s$/);
    await page.close();
  }, 120_000);

  it('narrows the grid with the search box', async () => {
    const page = await openConsole();
    await tile(page, channelPath(4)).waitFor({ timeout: 15_000 });
    const visible = () => page.locator('li.stream:visible').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset['stream']));
    await page.getByRole('searchbox').fill('0777 channel 3');
    expect(await visible()).toEqual([channelPath(3)]);
    expect(await page.locator(`section.vehicle[data-sim="013900000003"]`).isVisible()).toBe(false);
    await saveScreenshot(page, 'fleet-search');
    await page.getByRole('searchbox').fill('013900000003');
    expect(await visible()).toEqual([SHIPPED]);
    await page.getByRole('searchbox').fill('no-such-vehicle');
    expect(await visible()).toEqual([]);
    expect(await page.locator('#no-match').textContent()).toBe('No stream matches "no-such-vehicle".');
    await page.getByRole('searchbox').fill('');
    expect(await visible()).toHaveLength(5);
    await page.close();
  }, 40_000);

  it('shows "ended" when a device disconnects: the player stops instead of freezing as live', async () => {
    const page = await openConsole();
    const ended = tile(page, channelPath(4));
    await ended.locator('.play').click();
    await page.waitForFunction((p) => (document.querySelector(`li.stream[data-stream="${p}"] video`) as HTMLVideoElement).currentTime > 1, channelPath(4), { timeout: 30_000 });
    devices.get(4)!.kill('SIGTERM');
    await page.locator(`li.stream.ended[data-stream="${channelPath(4)}"]`).waitFor({ timeout: 20_000 });
    expect(await ended.locator('.state-badge').textContent()).toBe('ended');
    expect(await ended.locator('.overlay').textContent()).toMatch(/^Stream ended at \d\d:\d\d:\d\d: the device disconnected$/);
    expect(await ended.locator('.stats').textContent()).toBe('ended · the device disconnected');
    expect(await ended.locator('.play').isDisabled()).toBe(true);
    expect(await ended.locator('video').evaluate((v: HTMLVideoElement) => v.currentSrc === '' || v.paused)).toBe(true);
    expect(await page.locator(`section.vehicle[data-sim="${VEHICLE}"] .count`).textContent()).toBe('3 channels live, 1 ended');
    // The others play on.
    expect(await tile(page, channelPath(1)).getAttribute('class')).not.toContain('ended');
    await saveScreenshot(page, 'fleet-ended', { fullPage: true });
    await page.close();
  }, 60_000);

  it('talk without a device: lease taken, then waiting for the device with the 0x9101 body; hang-up logs no error', async () => {
    const page = await openConsole();
    const failures: string[] = [];
    page.on('response', (r) => r.status() >= 400 && failures.push(`${r.request().method()} ${r.url()} ${r.status()}`));
    page.on('console', (m) => m.type() === 'error' && failures.push(m.text()));
    const t = tile(page, channelPath(1));
    await t.getByRole('button', { name: 'Talk' }).click();
    const state = t.locator('.talk-state');
    await state.filter({ hasText: /^waiting: waiting for the device on audio port \d+$/ }).waitFor({ timeout: 15_000 });
    expect(await t.locator('.talk-detail').textContent()).toMatch(/0x9101 with this body/);
    expect(await t.locator('.talk-detail code.command9101').textContent()).toMatch(/^[0-9a-f]{16,}$/);
    // The browser's own link may connect; without a device the state stays "waiting", never "connected".
    await until(async () => /connected/.test((await t.locator('.talk-link').textContent()) ?? ''), 30_000, 'the browser to reach the intercom');
    expect(await state.getAttribute('data-state')).toBe('waiting');
    await saveScreenshot(page, 'fleet-talk-waiting');
    await t.getByRole('button', { name: 'Hang up' }).click();
    await state.filter({ hasText: 'ended: hung up in the console' }).waitFor({ timeout: 10_000 });
    await until(async () => ((await (await fetch(`${base}/api/v1/intercom/leases`)).json()) as { leases: unknown[] }).leases.length === 0, 10_000, 'the lease to be freed');
    expect(failures).toEqual([]);
    await page.close();
  }, 60_000);

  it('talk with a device: connected, audio levels both ways, ended with the device\'s reason', async () => {
    const page = await openConsole();
    const failures: string[] = [];
    page.on('response', (r) => r.status() >= 400 && failures.push(`${r.request().method()} ${r.url()} ${r.status()}`));
    const consoleErrors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    const t = tile(page, channelPath(2));
    await t.getByRole('button', { name: 'Talk' }).click();
    const state = t.locator('.talk-state');
    await state.filter({ hasText: /^waiting/ }).waitFor({ timeout: 15_000 }).catch(async (err: Error) => {
      // Say what the tile showed instead, what the page got refused, and what the server said.
      const shown = await state.textContent({ timeout: 2000 }).catch(() => '(no talk state)');
      throw new Error(`${err.message}\ntalk state: ${shown}\nrefused: ${failures.join('; ')}\nconsole errors: ${consoleErrors.join('; ')}\nserver log:\n${logs.slice(-3000)}`, { cause: err });
    });
    const port = Number(/audio port (\d+)/.exec((await state.textContent())!)![1]);
    const device = await SimulatedTalkDevice.connect({ port, sim: VEHICLE, channel: 2 });
    const stopTalking = talkBack(device);
    try {
      await state.filter({ hasText: /^connected: device connected from 127\.0\.0\.1:\d+ on port \d+$/ }).waitFor({ timeout: 15_000 });
      // Both meters move: the fake microphone's tone out, the device's tone in.
      await page.waitForFunction((p) => {
        const level = (c: string) => Number((document.querySelector(`li.stream[data-stream="${p}"] meter.${c}`) as HTMLMeterElement).dataset['level'] ?? 0);
        return level('level-out') > 0.01 && level('level-in') > 0.01;
      }, channelPath(2), { timeout: 30_000 });
      await saveScreenshot(page, 'fleet-talk-connected');
    } finally {
      stopTalking();
    }
    await device.close();
    await state.filter({ hasText: /^ended: the device left/ }).waitFor({ timeout: 15_000 });
    expect(await t.getByRole('button', { name: 'Talk' }).isVisible()).toBe(true);
    await until(async () => ((await (await fetch(`${base}/api/v1/intercom/leases`)).json()) as { leases: unknown[] }).leases.length === 0, 10_000, 'the lease to be freed');
    expect(failures).toEqual([]);
    await page.close();
  }, 90_000);

  it('lets a platform page on another origin call every API route (CORS preflight)', async () => {
    // http://localhost:<port> and http://127.0.0.1:<port> are different origins: the browser preflights.
    const page = await browser.newPage();
    await page.goto(base.replace('127.0.0.1', 'localhost'));
    const results = await page.evaluate(async (api) => {
      const call = async (method: string, path: string, body?: unknown) => {
        const r = await fetch(`${api}${path}`, { method, headers: { 'Content-Type': 'application/json', Authorization: 'Bearer none' }, ...(body ? { body: JSON.stringify(body) } : {}) });
        return { status: r.status, data: (await r.json().catch(() => ({}))) as Record<string, unknown> };
      };
      const lease = await call('POST', '/api/v1/intercom/leases', { sim: '013900000777', channel: 3 });
      const one = await call('GET', `/api/v1/intercom/leases/${String(lease.data['port'])}`);
      const streams = await call('GET', '/api/v1/streams');
      const sessions = await call('GET', '/api/v1/intercom/sessions');
      const ended = await call('DELETE', `/api/v1/intercom/leases/${String(lease.data['port'])}`);
      return [lease.status, one.status, streams.status, sessions.status, ended.status];
    }, base);
    expect(results).toEqual([201, 200, 200, 200, 200]);
    for (const route of ['/api/v1/intercom/leases', '/api/v1/intercom/leases/1', '/api/v1/intercom', '/api/v1/intercom/sessions/x', '/jt1078/api/v1/intercom', '/api/v1/streams']) {
      const pre = await fetch(`${base}${route}`, { method: 'OPTIONS', headers: { Origin: 'https://platform.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type, authorization' } });
      expect([route, pre.status, pre.headers.get('access-control-allow-origin'), pre.headers.get('access-control-allow-headers')]).toEqual([route, 204, '*', 'Content-Type, Authorization']);
    }
    await page.close();
  }, 30_000);

  it('passes WCAG AA contrast for every visible text', async () => {
    const page = await openConsole();
    await tile(page, channelPath(1)).waitFor({ timeout: 15_000 });
    const failures = await page.evaluate(() => {
      const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
      const lum = ([r, g, b]: number[]) => {
        const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
        return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
      };
      /** The first opaque background behind an element (the page's, at the top). */
      const background = (e: Element | null): number[] => {
        for (; e; e = e.parentElement) {
          const c = rgb(getComputedStyle(e).backgroundColor);
          if (c.length === 3 || (c.length === 4 && c[3]! > 0.5)) return c.slice(0, 3);
        }
        return [255, 255, 255];
      };
      const out: string[] = [];
      for (const e of document.querySelectorAll('body *')) {
        const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent!.trim() !== '');
        if (!own || !(e as HTMLElement).offsetParent || (e as HTMLButtonElement).disabled) continue;
        const fg = lum(rgb(getComputedStyle(e).color));
        const bg = lum(background(e));
        const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
        if (ratio < 4.5) out.push(`${e.tagName}.${e.className} "${e.textContent!.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
      }
      return out;
    });
    expect(failures).toEqual([]);
    await page.close();
  }, 30_000);

  it('is usable on a phone: one column, nothing wider than the screen, thumb-sized controls', async () => {
    const page = await openConsole(390, 844);
    await tile(page, channelPath(1)).waitFor({ timeout: 15_000 });
    const layout = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      tiles: [...document.querySelectorAll('li.stream')].map((li) => li.getBoundingClientRect().toJSON() as DOMRect),
      controls: [...document.querySelectorAll('li.stream .play, li.stream .talk button, .play-all, #search')].map((b) => b.getBoundingClientRect().toJSON() as DOMRect),
      events: document.getElementById('events-section')!.getBoundingClientRect().toJSON() as DOMRect,
    }));
    await saveScreenshot(page, 'fleet-phone', { fullPage: true });
    expect(layout.scrollWidth).toBeLessThanOrEqual(390);
    expect(new Set(layout.tiles.map((t) => Math.round(t.left))).size).toBe(1);
    for (const t of layout.tiles) {
      expect(t.right).toBeLessThanOrEqual(390);
      expect(t.width).toBeGreaterThan(330);
    }
    for (const c of layout.controls) expect(c.height).toBeGreaterThanOrEqual(44);
    expect(layout.events.top).toBeGreaterThanOrEqual(Math.max(...layout.tiles.map((t) => t.bottom)));
    await page.close();
  }, 30_000);
});
