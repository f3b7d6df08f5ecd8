/**
 * Headless Chromium (Debian's `chromium` package) driven through playwright-core, for tests that
 * must see a page as a browser renders it. CI installs the package (.ci/run) and sets
 * ZTGATE_REQUIRE_CHROMIUM=1, so there a missing browser fails the test; elsewhere it is skipped
 * with the reason printed.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Where Debian installs the browser. */
export const CHROMIUM = process.env['ZTGATE_CHROMIUM'] ?? '/usr/bin/chromium';

/** Whether the browser tests run here; throws in CI when the browser is missing. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env['ZTGATE_REQUIRE_CHROMIUM'] === '1')
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (bash .ci/run installs it)`);
  process.stderr.write(`skipping browser tests: ${CHROMIUM} is missing (apt-get install chromium)\n`);
  return false;
}

/**
 * Launches headless Chromium with a fresh profile and nothing that phones home (no background
 * networking, component updates, sync or first-run pages), so every request a test sees is the
 * page's own.
 */
export async function launchChromium(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'ztgate-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
