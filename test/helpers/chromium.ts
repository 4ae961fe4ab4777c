// Debian's Chromium for the browser tests: lib/chromium.ts's launch, so a missing browser fails the test at once
// with a sentence naming the install command (never a hang, never a silent skip).
export { CHROMIUM_PATH, launchChromium } from '../../lib/chromium.ts';
