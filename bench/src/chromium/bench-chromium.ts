/**
 * Debian's Chromium driven by playwright-core (DESIGN.md "Real components"): headless, no sandbox
 * (root), no background networking (this machine's closed network refuses it), a fresh profile,
 * autoplay allowed. The browser benchmarks launch it here; the browser tests through
 * test/support/chromium.ts, which adds what tests need.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export async function launchHeadlessChromium(extraArgs: readonly string[] = []): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (CI's .ci/run does), or set CHROMIUM_PATH`);
  }
  return chromium.launchPersistentContext(mkdtempSync(path.join(tmpdir(), 'chromium-profile-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required', ...extraArgs,
    ],
  });
}
