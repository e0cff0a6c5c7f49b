/**
 * Debian's Chromium (/usr/bin/chromium, `apt-get install chromium`; .ci/run installs it), headless
 * through playwright-core, for the tests that look at the dashboard in a real browser.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";
// The machine's network is closed: no lookups for updates, sync, QUIC or components.
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: apt-get install -y chromium (Debian's package; .ci/run does it)`,
    );
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}
