// The Chromium shipped inside the `@sparticuz/chromium` devDependency (Linux x64/arm64 only), for
// machines with no system browser. Its executablePath() unpacks to $TMPDIR/chromium, checking only
// that the file exists: a concurrent test file could start a half-written binary, and a /tmp/chromium
// left by another version would be used as is. So it runs here in a child process whose TMPDIR is a
// staging folder, which buildOnce() renames into a folder named after the version: one extraction
// (about 2 s, 210 MB) per machine and version, shared by all test files. The Amazon Linux libraries
// the package carries (NSS, NSPR, expat) are unpacked too and always put on LD_LIBRARY_PATH, so the
// browser needs no system library beyond glibc; its fonts are added to the system's own fontconfig.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { buildOnce } from './build-once.js';

const require = createRequire(import.meta.url);

export interface NpmChromium {
  executablePath: string;
  /** Environment variables the browser needs (added to the test process's own). */
  env: Record<string, string>;
  version: string;
  /** Milliseconds this call spent unpacking it (0 when it was already unpacked). */
  extractedMs: number;
}

/** The installed package's folder and version, or undefined when it is not installed. */
export function npmChromiumPackage(): { root: string; entry: string; version: string } | undefined {
  let entry: string;
  try {
    entry = require.resolve('@sparticuz/chromium');
  } catch {
    return undefined;
  }
  const root = dirname(dirname(entry));
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return { root, entry, version };
}

const UNPACK = `
const [entry, bin] = process.argv.slice(1);
const { default: chromium, inflate } = await import(entry);
const exe = await chromium.executablePath(bin);
await inflate(bin + '/al2023.tar.br');
process.stdout.write(exe);
`;

export async function npmChromium(): Promise<NpmChromium> {
  const pkg = npmChromiumPackage();
  if (!pkg) throw new Error('@sparticuz/chromium is not installed (a devDependency): run npm ci');
  const dir = join(tmpdir(), `ipk-chromium-${pkg.version}-${process.arch}-u${process.getuid?.() ?? 0}`);
  const started = Date.now();
  const built = await buildOnce(dir, async (staging) => {
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', UNPACK, pathToFileURL(pkg.entry).href, join(pkg.root, 'bin')], {
      env: { ...process.env, TMPDIR: staging },
      maxBuffer: 1 << 20,
    });
    // The package's fonts.conf names /tmp/fonts; this one keeps the system's configuration (if any)
    // and adds the bundled Open Sans, so a machine with no fonts at all still renders text.
    writeFileSync(
      join(staging, 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n` +
        `  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n  <dir>${join(dir, 'fonts', 'fonts')}</dir>\n  <cachedir>${join(dir, 'fonts-cache')}</cachedir>\n</fontconfig>\n`,
    );
  });
  const extractedMs = built ? Date.now() - started : 0;
  if (built) console.error(`[browser] unpacked Chromium from @sparticuz/chromium ${pkg.version} into ${dir} in ${(extractedMs / 1000).toFixed(1)} s`);
  const libs = join(dir, 'al2023', 'lib');
  return {
    executablePath: join(dir, 'chromium'),
    env: {
      LD_LIBRARY_PATH: [libs, ...(process.env.LD_LIBRARY_PATH ? [process.env.LD_LIBRARY_PATH] : [])].join(':'),
      FONTCONFIG_FILE: join(dir, 'fonts.conf'),
    },
    version: pkg.version,
    extractedMs,
  };
}
