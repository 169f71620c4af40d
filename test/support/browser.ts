// A Chromium for the docs and console tests, driven by playwright-core, offline. Where it comes from,
// first match wins:
//   1. CHROMIUM_PATH, if set (it must exist: a wrong path is an error, not a reason to look elsewhere);
//   2. a system Chromium or Chrome at the usual places on Linux and macOS (systemChromiumPaths);
//   3. the Chromium inside the @sparticuz/chromium devDependency (Linux x64/arm64), unpacked on first use.
// TEST_CHROMIUM=system or TEST_CHROMIUM=npm forces one source (and ignores CHROMIUM_PATH).
// Fails (never skips) when no browser can be found, saying how to point the tests at one.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { npmChromium, npmChromiumPackage } from './npm-chromium.js';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Where a system Chromium or Chrome usually is, in the order they are tried. */
export function systemChromiumPaths(platform: NodeJS.Platform, home: string): string[] {
  if (platform === 'darwin') {
    const apps = ['Chromium.app/Contents/MacOS/Chromium', 'Google Chrome.app/Contents/MacOS/Google Chrome', 'Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing'];
    return [...apps.map((a) => join('/Applications', a)), ...apps.map((a) => join(home, 'Applications', a))];
  }
  if (platform === 'linux') {
    return ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/snap/bin/chromium', '/usr/bin/google-chrome-stable', '/usr/bin/google-chrome', '/opt/google/chrome/chrome'];
  }
  return [];
}

export interface ChromiumProbe {
  env: Record<string, string | undefined>;
  platform: NodeJS.Platform;
  arch: string;
  home: string;
  exists: (path: string) => boolean;
  /** Whether the @sparticuz/chromium package is installed. */
  npmInstalled: boolean;
}

export type ChromiumChoice = { source: 'CHROMIUM_PATH' | 'system'; path: string } | { source: 'npm' };

/** Why the npm Chromium cannot be used here, or undefined when it can. */
function npmUnusable(p: ChromiumProbe): string | undefined {
  if (p.platform !== 'linux' || !['x64', 'arm64'].includes(p.arch)) return `@sparticuz/chromium ships Linux x64/arm64 builds only (this is ${p.platform} ${p.arch})`;
  if (!p.npmInstalled) return '@sparticuz/chromium is not installed (a devDependency: run npm ci)';
  return undefined;
}

const HOW = 'Install Chromium or Google Chrome, or set CHROMIUM_PATH to a Chromium/Chrome executable';

/** Decides which browser the tests use. Throws a message saying what to do when there is none. */
export function resolveChromium(p: ChromiumProbe): ChromiumChoice {
  const forced = p.env.TEST_CHROMIUM;
  const candidates = systemChromiumPaths(p.platform, p.home);
  const system = candidates.find((c) => p.exists(c));
  if (forced !== undefined && forced !== '') {
    if (forced === 'system') {
      if (system) return { source: 'system', path: system };
      throw new Error(`TEST_CHROMIUM=system, but there is no Chromium or Chrome at ${candidates.join(', ') || '(no usual places on this platform)'}. ${HOW}`);
    }
    if (forced === 'npm') {
      const why = npmUnusable(p);
      if (why) throw new Error(`TEST_CHROMIUM=npm, but ${why}`);
      return { source: 'npm' };
    }
    throw new Error(`TEST_CHROMIUM=${forced} is not one of: system, npm (or leave it unset)`);
  }
  const path = p.env.CHROMIUM_PATH;
  if (path) {
    if (!p.exists(path)) throw new Error(`CHROMIUM_PATH=${path} does not exist. ${HOW}, or unset CHROMIUM_PATH`);
    return { source: 'CHROMIUM_PATH', path };
  }
  if (system) return { source: 'system', path: system };
  const why = npmUnusable(p);
  if (why) throw new Error(`No browser for the docs and console tests: CHROMIUM_PATH is not set, there is no Chromium or Chrome at ${candidates.join(', ') || '(no usual places on this platform)'}, and ${why}. ${HOW}.`);
  return { source: 'npm' };
}

export function chromiumProbe(): ChromiumProbe {
  return { env: process.env, platform: process.platform, arch: process.arch, home: homedir(), exists: existsSync, npmInstalled: npmChromiumPackage() !== undefined };
}

/** The executable to launch and what it needs in its environment, unpacking the npm Chromium if that is the one. */
export async function chromiumExecutable(): Promise<{ source: ChromiumChoice['source']; executablePath: string; env?: Record<string, string> }> {
  const choice = resolveChromium(chromiumProbe());
  if (choice.source !== 'npm') return { source: choice.source, executablePath: choice.path };
  const npm = await npmChromium();
  return { source: 'npm', executablePath: npm.executablePath, env: npm.env };
}

export async function launchChromium(): Promise<Browser> {
  const { source, executablePath, env } = await chromiumExecutable();
  try {
    return await chromium.launch({
      executablePath,
      args: CHROMIUM_ARGS,
      ...(env ? { env: { ...definedEnv(), ...env } } : {}),
    });
  } catch (err) {
    const from = source === 'npm' ? 'from @sparticuz/chromium' : source === 'system' ? 'found on this system' : 'named by CHROMIUM_PATH';
    throw new Error(`The browser ${from} (${executablePath}) did not start: ${(err as Error).message}\nSet CHROMIUM_PATH to another Chromium/Chrome, or TEST_CHROMIUM=npm|system to pick the source.`, { cause: err });
  }
}

function definedEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
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
