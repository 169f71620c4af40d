// The inbox console's page, its two static assets and the site's icon. Served without the inbox token: the
// page holds no data; it reads the token from its URL fragment (never sent to the server) and calls the
// feed with it. The icon is served at /favicon.ico, where browsers ask for it on every page of this
// server (the docs too): a 404 there would be logged as a refusal and listed in the console.
import { existsSync, readFileSync } from 'node:fs';
import { Router, type Request, type Response } from 'express';
import { lazyAsset, sendAsset } from '../contract/static-asset.js';

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
  const assets = new Map<string, ReturnType<typeof lazyAsset>>();
  for (const [path, { file, type }] of Object.entries(ASSETS)) {
    const url = new URL(file, dir);
    if (!assets.has(file)) assets.set(file, lazyAsset(() => (existsSync(url) ? readFileSync(url) : undefined), type));
    const asset = assets.get(file)!;
    router.get(path, async (req: Request, res: Response) => {
      const content = await asset();
      if (!content) {
        res.status(503).type('text/plain').send('The inbox console is not built: run `npm run build`.');
        return;
      }
      sendAsset(req, res, content, { 'Content-Security-Policy': CONSOLE_CSP, 'Cache-Control': 'no-cache' });
    });
  }
  return router;
}
