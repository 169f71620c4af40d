// Debian's Chromium driven by playwright-core, offline. Fails (never skips) when Chromium is missing.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install -y chromium (as root), then run the tests again`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Records every request the page makes that is not to 127.0.0.1 (or a local blob:/data: URL). */
export function offMachineRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (r) => {
    const url = r.url();
    if (!/^(http:\/\/127\.0\.0\.1[:/]|blob:http:\/\/127\.0\.0\.1|data:)/.test(url)) seen.push(url);
  });
  return seen;
}
