// The relay's test rig: a real destination (a second reference server), small fault-injecting
// destinations (plain HTTP servers scripted per request), a relay server configured to forward to them,
// and readers of the relay's outbox as stored.
import Database from 'better-sqlite3';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type RunningServer, type ServeOptions } from '../../server/main.js';

export const RELAY_ACCOUNT = '17841400000000000';
export const RELAY_SECRET = 'relay-in-secret';
export const DEST_SECRET = 'destination-secret';
export const TOKEN = 'relay-inbox-token';
export const ADMIN = 'relay-admin-token';
/** Fast retries and a quick breaker, so the tests wait milliseconds, not minutes. */
export const FAST: NonNullable<ServeOptions['relay']> = { pollMs: 30, retry: { baseMs: 20, capMs: 100 }, breaker: { threshold: 1000, intervalMs: 200 } };

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

/** A second reference server that stores what it is sent, under channel `cc`, deduplicating by mid. */
export async function startDestination(): Promise<RunningServer & { pushUrl: string; mids(): Promise<string[]> }> {
  const dir = tmp('ipk-dest-');
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify({ channels: [{ id: 'cc', appSecret: DEST_SECRET }], inboxToken: TOKEN }));
  const server = await serve({ port: 0, configPath, dataDir: join(dir, 'data'), logLevel: 'silent', env: {} });
  return {
    ...server,
    pushUrl: `${server.url}/apiaccess/api/instagram/message/cc`,
    /** Every stored event's mid, read page by page as a consumer would. */
    async mids() {
      const mids: string[] = [];
      for (let cursor: string | undefined; ; ) {
        const r = await fetch(`${server.url}/inbox/messages?limit=1000${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${TOKEN}` } });
        const page = (await r.json()) as { items: { mid: string }[]; nextCursor?: string; truncated?: boolean };
        mids.push(...page.items.map((i) => i.mid));
        if ((page.items.length < 1000 && !page.truncated) || !page.nextCursor) return mids;
        cursor = page.nextCursor;
      }
    },
  };
}

export interface Received {
  body: Buffer;
  headers: IncomingMessage['headers'];
}

/** A scripted destination: `answer(n, req, res)` handles the n-th request (from 0); every body is kept. */
export async function faultDestination(answer: (n: number, res: ServerResponse, req: IncomingMessage) => void): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = received.length;
      received.push({ body: Buffer.concat(chunks), headers: req.headers });
      answer(n, res, req);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/apiaccess/api/instagram/message/cc`,
    received,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export const accept = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"resultMsg":"200"}');
export const fail = (res: ServerResponse, status: number, body = '{"resultMsg":"nope"}', headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body);

export interface RelayServer extends RunningServer {
  dir: string;
  /** The relay's forwards as stored: destination, event id, state, attempts, last status and error. */
  forwards(): ForwardRow[];
  attempts(): { destination: string; event_id: number; status: number | null; error: string | null }[];
  db(): Database.Database;
}

export interface ForwardRow {
  destination: string;
  event_id: number;
  state: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  next_at: number;
}

/** A reference server with channel `chan-a` forwarding to `destinations` (config objects). */
export async function startRelayServer(destinations: object[], options: Partial<ServeOptions> = {}, dir = tmp('ipk-relay-')): Promise<RelayServer> {
  const configPath = join(dir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      channels: [
        { id: 'chan-a', accountId: RELAY_ACCOUNT, appSecret: RELAY_SECRET, destinations },
        { id: 'chan-quiet', accountId: '17841400000000009', appSecret: RELAY_SECRET },
      ],
      inboxToken: TOKEN,
      adminToken: ADMIN,
    }),
  );
  const server = await serve({ port: 0, configPath, dataDir: join(dir, 'data'), logLevel: 'silent', env: {}, relay: FAST, ...options });
  let db: Database.Database | undefined;
  const open = () => (db ??= new Database(join(dir, 'data', 'inbox.sqlite'), { readonly: true }));
  return {
    ...server,
    dir,
    db: open,
    forwards: () => open().prepare('SELECT destination, event_id, state, attempts, last_status, last_error, next_at FROM relay_forwards ORDER BY event_id, destination').all() as ForwardRow[],
    attempts: () => open().prepare('SELECT destination, event_id, status, error FROM relay_attempts ORDER BY id').all() as { destination: string; event_id: number; status: number | null; error: string | null }[],
    async close() {
      db?.close();
      await server.close();
    },
  };
}
