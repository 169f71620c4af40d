// The inbox console's page, its two static assets and the site's icon. Served without the inbox token: the
// page holds no data; it reads the token from its URL fragment (never sent to the server) and calls the
// feed with it. The icon is served at /favicon.ico, where browsers ask for it on every page of this
// server (the docs too): a 404 there would be logged as a refusal and listed in the console.
import { existsSync, readFileSync } from 'node:fs';
import { Router, type Response } from 'express';

/**
 * The console needs nothing but its own script and stylesheet, and it holds the inbox token: no inline
 * script, no eval, no blob: (the docs page, which Redoc renders, keeps the looser ops.ts policy).
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const ASSETS: Record<string, { file: string; type: string }> = {
  '/inbox': { file: 'index.html', type: 'text/html' },
  '/inbox/': { file: 'index.html', type: 'text/html' },
  '/inbox/console.js': { file: 'console.js', type: 'text/javascript' },
  '/inbox/console.css': { file: 'console.css', type: 'text/css' },
  '/favicon.ico': { file: 'favicon.ico', type: 'image/x-icon' },
};

/** `dir` is the built console folder (dist/console). Files are read once, on first request. */
export function consoleRoutes(dir: URL): Router {
  const router = Router();
  const cache = new Map<string, Buffer>();
  for (const [path, { file, type }] of Object.entries(ASSETS)) {
    router.get(path, (_req, res: Response) => {
      const url = new URL(file, dir);
      if (!cache.has(file) && existsSync(url)) cache.set(file, readFileSync(url));
      const content = cache.get(file);
      if (!content) {
        res.status(503).type('text/plain').send('The inbox console is not built: run `npm run build`.');
        return;
      }
      res.setHeader('Content-Security-Policy', CONSOLE_CSP);
      res.setHeader('Cache-Control', 'no-cache');
      res.type(type).send(content);
    });
  }
  return router;
}
