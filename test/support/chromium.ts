/**
 * Debian's Chromium driven by playwright-core (DESIGN.md "Real components"): headless, no
 * sandbox (root), no background networking, a fresh profile. Missing Chromium fails the test
 * with what to install: browser tests never skip.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';

/** The same launch as the browser benchmarks (flags, fresh profile, autoplay), or a failure naming what to install. */
export { CHROMIUM, launchHeadlessChromium as launchChromium } from '@jt1078/bench/chromium';
export const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts');

export async function saveScreenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: opts.fullPage ?? false });
  return file;
}
