// The inbox console's page, its two static assets and the site's icon. Served without the inbox token: the
// page holds no data; it reads the token from its URL fragment (never sent to the server) and calls the
// feed with it. The icon is served at /favicon.ico, where browsers ask for it on every page of this
// server (the docs too): a 404 there would be logged as a refusal and listed in the console.
import { Router } from 'express';
import { builtFileHandler } from '../contract/static-asset.js';

/**
 * The console needs nothing but its own script and stylesheet, and it holds the inbox token: no inline
 * script, no eval, no blob: (the docs page, which Redoc renders, keeps the looser ops.ts policy).
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const ASSETS: Record<string, { file: string; type: string }> = {
  '/inbox': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/inbox/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/inbox/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/inbox/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
  '/favicon.ico': { file: 'favicon.ico', type: 'image/x-icon' },
};

/** `dir` is the built console folder (dist/console). Files are read and compressed once, on first request. */
export function consoleRoutes(dir: URL): Router {
  // Exact paths, as for the contract's: no other letter case, no trailing slash (but /inbox/).
  const router = Router({ strict: true, caseSensitive: true });
  const handlers = new Map<string, ReturnType<typeof builtFileHandler>>();
  for (const [path, { file, type }] of Object.entries(ASSETS)) {
    if (!handlers.has(file)) {
      const headers = { 'Content-Security-Policy': CONSOLE_CSP, 'Cache-Control': 'no-cache' };
      handlers.set(file, builtFileHandler(new URL(file, dir), type, 'The inbox console is not built: run `npm run build`.', headers));
    }
    router.get(path, handlers.get(file)!);
  }
  return router;
}
