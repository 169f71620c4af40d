// The inbox console in a browser, for the console tests: its build, and what a page reports (errors,
// accessibility violations, the live state, elements wider than the screen).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

const AXE = 'node_modules/axe-core/axe.min.js';

function newest(path: string): number {
  const s = statSync(path);
  // Build output and installs are not sources (client/dist is rebuilt by every build).
  const children = s.isDirectory() ? readdirSync(path).filter((f) => f !== 'dist' && f !== 'node_modules') : [];
  return Math.max(s.mtimeMs, ...children.map((f) => newest(join(path, f))));
}

/** Builds the console when server/dist/console is missing or older than its sources (or what it bundles). */
export function buildConsoleIfStale(): void {
  const outputs = ['console.js', 'console.css', 'index.html', 'favicon.ico'].map((f) => `server/dist/console/${f}`);
  const source = Math.max(newest('server/console'), newest('server/inbox'), newest('client'), newest('generated'));
  if (outputs.every((f) => existsSync(f) && statSync(f).mtimeMs >= source)) return;
  const r = spawnSync(process.execPath, ['server/console/build.mjs'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`console build failed:\n${r.stdout}\n${r.stderr}`);
}

/** Problems a page reports: uncaught errors and console errors. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // The console asks GET /relay/destinations whether the server relays; one without a relay answers
    // 404, which the browser logs as a failed load: the answer expected, not a problem.
    if (/\/relay\/destinations$/.test(m.location().url) && m.text().includes('status of 404')) return;
    errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/**
 * Serious and critical axe violations. `exclude` leaves out parts of the page (selectors): axe takes
 * about 20 ms per timeline entry, so a test holding a thousand of them checks the rest of the page.
 */
export async function axeViolations(page: Page, exclude: string[] = []): Promise<string[]> {
  // Evaluated through the driver, not added as a <script>: the console's CSP allows only its own script.
  await page.evaluate(readFileSync(AXE, 'utf8'));
  const result = await page.evaluate(
    async (exclude) => (globalThis as unknown as { axe: { run(context: unknown): Promise<any> } }).axe.run({ exclude: exclude.map((s) => [s]) }),
    exclude,
  );
  return (result.violations as Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }>)
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')})`);
}

export const live = (page: Page) => page.waitForFunction(() => document.getElementById('status')?.dataset.state === 'live', undefined, { timeout: 10_000 });

/** How wide the document is, against the viewport, and the elements that reach past its right edge. */
export async function horizontalOverflow(page: Page): Promise<{ documentWidth: number; viewport: number; culprits: string[] }> {
  return page.evaluate(() => {
    const viewport = document.documentElement.clientWidth;
    const culprits: string[] = [];
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.right <= viewport + 0.5) continue;
      // Only the outermost offender: its children overflow because it does.
      if (el.parentElement && el.parentElement.getBoundingClientRect().right > viewport + 0.5 && el.parentElement !== document.body) continue;
      culprits.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${[...el.classList].join('.')} right=${Math.round(r.right)}`);
    }
    return { documentWidth: document.documentElement.scrollWidth, viewport, culprits: culprits.slice(0, 10) };
  });
}
