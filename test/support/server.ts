// Starts the reference server in-process on a random 127.0.0.1 port for a test, with a fresh data dir.
// Every response it sends is checked against the bundled spec by the test-side oracle (contract.ts),
// independent of the server's own validator, and so is every request this project's client sends;
// violations are collected and asserted by `close()`.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createApp, type AppOptions } from '../../server/app.js';
import { parseConfig } from '../../server/run/config.js';
import type { Inbox } from '../../server/inbox/inbox.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import { RefusalLog } from '../../server/read/refusal-log.js';
import { checkRequest, checkResponse } from './contract.js';

/** Paths served outside the contract (operational routes and pages). */
const OUTSIDE_CONTRACT = /^\/(healthz|openapi\.json|favicon\.ico|docs\/?|inbox\/?|inbox\/(events|console\.[a-z]+|assets\/.*))$/;

export interface TestServerOptions {
  /** A configuration document as the server's config file would hold it. */
  config?: object;
  inbox?: Inbox;
  app?: Partial<AppOptions>;
}

export interface TestServer {
  url: string;
  inbox: Inbox;
  refusals: RefusalLog;
  /** Contract violations seen so far (every response is checked). */
  violations: string[];
  close(): Promise<void>;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ipk-server-'));
  const inbox = options.inbox ?? new SqliteInbox({ file: join(dir, 'inbox.sqlite') });
  const config = options.config ? parseConfig(JSON.stringify(options.config), process.env) : undefined;
  const refusals = new RefusalLog();
  const app = createApp({
    inbox,
    channels: config?.channels,
    inboxToken: config?.inboxToken,
    logger: pino({ level: 'silent' }),
    refusals,
    ...options.app,
  });
  await app.warmUp();
  const violations: string[] = [];
  const server = createServer((req, res) => {
    watchResponse(req, res, violations);
    app(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    inbox,
    refusals,
    violations,
    async close() {
      await new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      });
      if (!options.inbox) await inbox.close();
      rmSync(dir, { recursive: true, force: true });
      if (violations.length) throw new Error(`responses broke the contract:\n${violations.join('\n')}`);
    },
  };
}

/** Captures what the server writes and checks it against the spec once the response ends. */
function watchResponse(req: IncomingMessage, res: ServerResponse, violations: string[]): void {
  // Requests made by this project's client (known by its User-Agent) must themselves follow the spec.
  // A test that makes the client send a bad request on purpose marks it with `x-contract-probe: invalid`.
  if (String(req.headers['user-agent'] ?? '').startsWith('instagram-push-kit/') && req.headers['x-contract-probe'] !== 'invalid') {
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      const problems = checkRequest(req.method ?? 'GET', req.url ?? '/', String(req.headers['content-type'] ?? ''), Buffer.concat(body).toString('utf8'));
      for (const p of problems) violations.push(`client request ${req.method} ${req.url}: ${p}`);
    });
  }
  const chunks: Buffer[] = [];
  const write = res.write.bind(res) as (...a: unknown[]) => boolean;
  const end = res.end.bind(res) as (...a: unknown[]) => ServerResponse;
  const keep = (chunk: unknown, encoding?: unknown) => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
  };
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    keep(chunk, rest[0]);
    return write(chunk, ...rest);
  }) as typeof res.write;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    keep(chunk, rest[0]);
    return end(chunk, ...rest);
  }) as typeof res.end;
  res.on('finish', () => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (OUTSIDE_CONTRACT.test(path) || (res.getHeader('content-type') ?? '').toString().startsWith('text/event-stream')) return;
    const problems = checkResponse(req.method ?? 'GET', path, res.statusCode, String(res.getHeader('content-type') ?? ''), Buffer.concat(chunks).toString('utf8'));
    for (const p of problems) violations.push(`${req.method} ${req.url} → ${res.statusCode}: ${p}`);
    if (res.statusCode === 405 && !res.getHeader('allow')) violations.push(`${req.method} ${req.url} → 405 without an Allow header`);
  });
}

/** Signs a body the way Meta does. */
export { expectedSignature as signBody } from '../../server/push/signature.js';
