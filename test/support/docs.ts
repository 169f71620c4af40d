// Builds the docs page for tests when it is missing or older than the bundled spec.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const root = new URL('../..', import.meta.url).pathname;

export function buildDocsIfStale(): void {
  const page = `${root}server/dist/docs/index.html`;
  if (existsSync(page) && statSync(page).mtimeMs >= statSync(`${root}generated/openapi.json`).mtimeMs) return;
  const r = spawnSync(process.execPath, ['scripts/build-docs.mjs'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the docs page failed:\n${r.stdout}${r.stderr}`);
}
