// Finds what the build puts in server/dist/ (the docs page, the console bundle), from source and compiled.
/**
 * `rel` inside server/dist/: the compiled module (server/dist/server/contract/assets.js, also in the
 * installed package) finds it at ../../rel; the source (server/contract/assets.ts, run by tests and tsx) at ../dist/rel.
 */
export function builtAsset(rel: string): URL {
  const compiled = new URL('.', import.meta.url).pathname.endsWith('/dist/server/contract/');
  return new URL(compiled ? `../../${rel}` : `../dist/${rel}`, import.meta.url);
}
