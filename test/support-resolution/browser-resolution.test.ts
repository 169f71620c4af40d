// Which browser the docs and console tests use: CHROMIUM_PATH, then a system Chromium/Chrome, then the
// npm one; TEST_CHROMIUM forces a source. File existence is faked, so these run the same on any machine.
import { describe, expect, it } from 'vitest';
import { resolveChromium, systemChromiumPaths, type ChromiumProbe } from '../support/browser.js';

const probe = (files: string[], over: Partial<ChromiumProbe> = {}): ChromiumProbe => ({
  env: {},
  platform: 'linux',
  arch: 'x64',
  home: '/home/u',
  exists: (p) => files.includes(p),
  npmInstalled: true,
  ...over,
});

describe('resolveChromium', () => {
  it('takes CHROMIUM_PATH first, even when a system browser exists', () => {
    expect(resolveChromium(probe(['/opt/my/chrome', '/usr/bin/chromium'], { env: { CHROMIUM_PATH: '/opt/my/chrome' } }))).toEqual({ source: 'CHROMIUM_PATH', path: '/opt/my/chrome' });
  });

  it('fails on a CHROMIUM_PATH that does not exist rather than looking elsewhere', () => {
    expect(() => resolveChromium(probe(['/usr/bin/chromium'], { env: { CHROMIUM_PATH: '/nope/chrome' } }))).toThrow(/CHROMIUM_PATH=\/nope\/chrome does not exist/);
  });

  it('takes a system Chromium before the npm one', () => {
    expect(resolveChromium(probe(['/usr/bin/chromium']))).toEqual({ source: 'system', path: '/usr/bin/chromium' });
    expect(resolveChromium(probe(['/usr/bin/google-chrome']))).toEqual({ source: 'system', path: '/usr/bin/google-chrome' });
  });

  it('prefers Chromium to Chrome, in the listed order', () => {
    const linux = systemChromiumPaths('linux', '/home/u');
    expect(linux[0]).toBe('/usr/bin/chromium');
    expect(resolveChromium(probe(['/usr/bin/google-chrome-stable', '/usr/bin/chromium-browser']))).toEqual({ source: 'system', path: '/usr/bin/chromium-browser' });
  });

  it('finds Chromium and Chrome where macOS keeps them, including ~/Applications', () => {
    const chrome = '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome';
    const mine = '/Users/u/Applications/Chromium.app/Contents/MacOS/Chromium';
    expect(resolveChromium(probe([chrome], { platform: 'darwin', arch: 'arm64', home: '/Users/u' }))).toEqual({ source: 'system', path: chrome });
    expect(resolveChromium(probe([mine], { platform: 'darwin', arch: 'arm64', home: '/Users/u' }))).toEqual({ source: 'system', path: mine });
    expect(resolveChromium(probe([chrome, mine], { platform: 'darwin', arch: 'arm64', home: '/Users/u' }))).toEqual({ source: 'system', path: chrome });
  });

  it('falls back to the npm Chromium when there is no other, on Linux x64 and arm64', () => {
    expect(resolveChromium(probe([]))).toEqual({ source: 'npm' });
    expect(resolveChromium(probe([], { arch: 'arm64' }))).toEqual({ source: 'npm' });
  });

  it('fails, saying how to point the tests at a browser, when there is none at all', () => {
    expect(() => resolveChromium(probe([], { platform: 'darwin', arch: 'arm64' }))).toThrow(/No browser.*Linux x64\/arm64 builds only.*set CHROMIUM_PATH/s);
    expect(() => resolveChromium(probe([], { npmInstalled: false }))).toThrow(/No browser.*not installed.*set CHROMIUM_PATH/s);
  });

  it('lets TEST_CHROMIUM force the npm or the system browser', () => {
    const both = ['/usr/bin/chromium', '/opt/my/chrome'];
    expect(resolveChromium(probe(both, { env: { TEST_CHROMIUM: 'npm', CHROMIUM_PATH: '/opt/my/chrome' } }))).toEqual({ source: 'npm' });
    expect(resolveChromium(probe(both, { env: { TEST_CHROMIUM: 'system', CHROMIUM_PATH: '/opt/my/chrome' } }))).toEqual({ source: 'system', path: '/usr/bin/chromium' });
    expect(() => resolveChromium(probe([], { env: { TEST_CHROMIUM: 'system' } }))).toThrow(/TEST_CHROMIUM=system, but there is no Chromium/);
    expect(() => resolveChromium(probe(both, { platform: 'darwin', env: { TEST_CHROMIUM: 'npm' } }))).toThrow(/TEST_CHROMIUM=npm, but .*Linux/);
    expect(() => resolveChromium(probe(both, { env: { TEST_CHROMIUM: 'firefox' } }))).toThrow(/not one of: system, npm/);
  });
});
