// Finds files `npm run build` puts in dist/ (the docs page, the console bundle) from source and from dist.
import { existsSync } from 'node:fs';

/** `rel` inside dist/: from dist/server/* it is ../rel, from server/* (source, tests) ../dist/rel. */
export function builtAsset(rel: string): URL {
  const inDist = new URL(`../${rel}`, import.meta.url);
  const fromSource = new URL(`../dist/${rel}`, import.meta.url);
  return import.meta.url.includes('/dist/server/') || existsSync(inDist) ? inDist : fromSource;
}
