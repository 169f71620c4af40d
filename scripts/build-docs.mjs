// Builds the offline docs page the server package serves (server/dist/docs/index.html) with the Redoc
// script inlined, then removes the one thing Redoc still loads from a CDN (its logo), so the page makes no
// request off the machine.
import { readFileSync, writeFileSync } from 'node:fs';
import { redocly } from './redocly.mjs';

export const DOCS_FILE = new URL('../server/dist/docs/index.html', import.meta.url).pathname;

export function buildDocs() {
  const status = redocly(['build-docs', 'openapi/openapi.yaml', '--inlineBundle', '-o', DOCS_FILE], { quiet: true });
  if (status !== 0) return status;
  const html = readFileSync(DOCS_FILE, 'utf8');
  // An empty data: URL fails to load, and Redoc's onError handler then hides the logo.
  writeFileSync(DOCS_FILE, html.replace(/https:\/\/cdn\.redoc(?:\.ly|ly\.com)\/[A-Za-z0-9./_-]*/g, 'data:,'));
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(buildDocs());
