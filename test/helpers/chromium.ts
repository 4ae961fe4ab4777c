// Debian's Chromium for the browser tests, through playwright-core. A missing browser fails the test at once with a
// sentence naming the install command (never a hang, never a silent skip).
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where Chromium is looked for: RTBENCH_CHROMIUM, else Debian's /usr/bin/chromium. */
export const CHROMIUM_PATH = process.env.RTBENCH_CHROMIUM ?? '/usr/bin/chromium';

/** Starts headless Chromium (at most 30 s); throws one sentence when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}: install Debian's package with \`apt-get install -y chromium\` (or set RTBENCH_CHROMIUM to a Chromium binary)`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, timeout: 30_000, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
}
