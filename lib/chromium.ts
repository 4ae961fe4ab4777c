// Debian's Chromium, driven by playwright-core: the browser clients (--clients-in chromium), the browser-limits
// scenario and the browser tests launch it here. A missing browser is one sentence naming the install command.
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { UsageError } from './errors.ts';

/** Held connections per origin (host and port) an HTTP/1.1 browser opens at most: Chromium's limit, as every major browser's. */
export const HTTP1_CONNECTIONS_PER_ORIGIN = 6;
/** The host name every browser subscriber's own origin lies under; Chromium resolves it to 127.0.0.1 (--host-resolver-rules). */
export const ORIGIN_DOMAIN = 'rtbench.test';

/** Where Chromium is looked for: RTBENCH_CHROMIUM, else Debian's /usr/bin/chromium. */
export const CHROMIUM_PATH = process.env.RTBENCH_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Chromium's flags: no sandbox (root in CI), no GPU, no QUIC (every transport over TCP, as the servers speak it),
 * nothing in the background, and no throttling of timers in pages that are not in front.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/**
 * The flag that makes Chromium accept a run's self-signed certificate (PEM) and no other: the SHA-256 of its
 * SubjectPublicKeyInfo, base64, in --ignore-certificate-errors-spki-list. Certificate errors (unknown issuer, and
 * a host name the certificate does not name, as s1.rtbench.test) are ignored for that key only, so the pages open
 * https and wss to the run's servers with TLS verified against that one key rather than with every error ignored.
 */
export function trustCertificateArg(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return `--ignore-certificate-errors-spki-list=${createHash('sha256').update(spki).digest('base64')}`;
}

/** The sentence a missing Chromium gives. */
export function chromiumMissing(): string {
  return `Chromium is not installed at ${CHROMIUM_PATH}: install Debian's package with \`apt-get install -y chromium\` (or set RTBENCH_CHROMIUM to a Chromium binary)`;
}

/** Starts headless Chromium (at most 30 s) with CHROMIUM_ARGS plus `extraArgs`; throws one sentence when it is not installed. */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new UsageError(chromiumMissing());
  let playwright: typeof import('playwright-core');
  try {
    playwright = await import('playwright-core');
  } catch {
    throw new UsageError('the browser clients need the npm package playwright-core: install it with `npm install playwright-core`');
  }
  return playwright.chromium.launch({ executablePath: CHROMIUM_PATH, timeout: 30_000, args: [...CHROMIUM_ARGS, ...extraArgs] });
}
