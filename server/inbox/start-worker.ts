// Starts one of this package's modules as a worker thread, from the built JavaScript or, in the tests,
// from source: tsx (a devDependency) compiles it there.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** `entry` names the module without its extension (`new URL('./x-thread', import.meta.url)`): the caller's own is added. */
export function startWorker(entry: URL, workerData: unknown): Worker {
  const url = new URL(`${entry.href}${extname(fileURLToPath(import.meta.url))}`);
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData });
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}
