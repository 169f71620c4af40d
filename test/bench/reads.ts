// What reads cost the push path, on the built server (server/dist), on 127.0.0.1 only:
// - searchStall: pushes per second and their p99, unloaded and while 2 clients loop the worst search
//   (7 words in every event and one in none, so each search reads every stored event) over INBOX_EVENTS
//   (100 000) stored events, on SQLite and on PostgreSQL; the ratio loaded / unloaded is the figure.
// - feedReaders: the server's RSS before and while 30 feed readers that never read ask for a backlog of
//   1000 over 150 events of about 1 MiB each (and 12 pages of limit=1000 that are never read).
// `npm run bench` runs both (BENCH_READS=0 skips them); alone:
//   node --import tsx test/bench/reads.ts        # writes reports/bench/reads.json
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import type { Inbox, NewEvent } from '../../server/inbox/inbox.js';
import { PostgresInbox } from '../../server/inbox/postgres-inbox.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import { startPgCluster } from '../support/postgres.js';
import { freePort } from '../support/process.js';

const root = new URL('../..', import.meta.url).pathname;
const MAIN = join(root, 'server/dist/server/main.js');
const SECRET = 'bench-secret';
const ACCOUNT = '17841400000000000';
const PATH = '/apiaccess/api/instagram/message/chan-a';
/** Seven words every stored event holds, then one none holds: each search reads the whole inbox. */
const WORST_Q = 'recipient sender timestamp 17841400000000000 mid message id nowhere-at-all';

interface Served {
  url: string;
  child: ChildProcess;
  stop(): void;
}

async function startServer(work: string, env: Record<string, string>): Promise<Served> {
  const config = join(work, 'config.json');
  writeFileSync(config, JSON.stringify({ channels: [{ id: 'chan-a', accountId: ACCOUNT, appSecret: SECRET, verifyToken: 'vt' }] }));
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], { cwd: root, env: { ...process.env, PORT: String(port), CONFIG: config, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(500) });
      break;
    } catch {
      if (Date.now() > deadline) throw new Error('server did not listen in time');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url, child, stop: () => child.kill() };
}

function storedEvent(i: number, text: string): NewEvent {
  const event = { sender: { id: String(6543210987654321 + (i % 997)) }, recipient: { id: ACCOUNT }, timestamp: 1732519199876 + i, message: { mid: `m-${i}`, text } };
  return { channel: 'chan-a', mid: `m-${i}`, entryId: ACCOUNT, entryTime: 1732519200123, event, dedupeKey: `bench-read-${i}` };
}

async function fill(inbox: Inbox, total: number, text: (i: number) => string, perAppend: number): Promise<void> {
  for (let from = 0; from < total; from += perAppend) {
    await inbox.append(Array.from({ length: Math.min(perAppend, total - from) }, (_, k) => storedEvent(from + k, text(from + k))), new Date());
  }
}

/** Signed one-event deliveries with fresh mids, prepared before the clock starts. */
function pushRequests(tag: string, n: number) {
  return Array.from({ length: n }, (_, i) => {
    const body = JSON.stringify({ object: 'instagram', entry: [{ id: ACCOUNT, time: 1732519200123, messaging: [{ sender: { id: '1' }, recipient: { id: ACCOUNT }, timestamp: 1732519199876, message: { mid: `push-${tag}-${i}`, text: 'hello' } }] }] });
    return { method: 'POST' as const, path: PATH, body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` } };
  });
}

async function pushLoad(url: string, seconds: number, tag: string): Promise<{ okRps: number; p99: number }> {
  const pool = pushRequests(tag, seconds * 20_000);
  let n = 0;
  const r = await autocannon({ url, connections: 16, duration: seconds, requests: [{ setupRequest: () => pool[n++ % pool.length]! }] });
  return { okRps: Math.round(r['2xx'] / seconds), p99: r.latency.p99 };
}

/** Loops the worst search until `stop`; counts answers by status. */
async function searchLoop(url: string, stop: { done: boolean }, statuses: Record<number, number>): Promise<void> {
  const target = `${url}/inbox/messages?order=desc&limit=100&q=${encodeURIComponent(WORST_Q)}`;
  while (!stop.done) {
    const r = await fetch(target);
    await r.arrayBuffer();
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  }
}

export interface StallFigures {
  store: string;
  events: number;
  unloaded: { okRps: number; p99: number };
  loaded: { okRps: number; p99: number };
  ratio: number;
  searches: Record<number, number>;
}

/** Push rate unloaded, then with 2 clients looping the worst search; `open` fills the store first. */
export async function searchStall(store: 'sqlite' | 'postgresql', events: number, seconds: number, env: Record<string, string> = {}): Promise<StallFigures> {
  const work = mkdtempSync(join(tmpdir(), 'ipk-bench-reads-'));
  const cluster = store === 'postgresql' ? await startPgCluster() : undefined;
  try {
    const databaseUrl = cluster ? await cluster.createDatabase('reads') : undefined;
    const inbox = databaseUrl ? new PostgresInbox({ connectionString: databaseUrl }) : new SqliteInbox({ file: join(work, 'data', 'inbox.sqlite') });
    await fill(inbox, events, (i) => `hello, is item ${i} still in stock?`, 500);
    await inbox.close();
    const server = await startServer(work, { ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { DATA_DIR: join(work, 'data') }), ...env });
    try {
      await pushLoad(server.url, 1, 'warm');
      const unloaded = await pushLoad(server.url, seconds, 'unloaded');
      const stop = { done: false };
      const searches: Record<number, number> = {};
      const loops = [searchLoop(server.url, stop, searches), searchLoop(server.url, stop, searches)];
      // Let the searches get going before the clock starts.
      await new Promise((r) => setTimeout(r, 500));
      const loaded = await pushLoad(server.url, seconds, 'loaded');
      stop.done = true;
      await Promise.all(loops);
      return { store, events, unloaded, loaded, ratio: Math.round((loaded.okRps / unloaded.okRps) * 100) / 100, searches };
    } finally {
      server.stop();
    }
  } finally {
    await cluster?.destroy();
    rmSync(work, { recursive: true, force: true });
  }
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

/** A request whose answer is never read: the socket is paused from the first byte on. */
function neverRead(url: string, path: string): Socket {
  const { port } = new URL(url);
  const socket = connect(Number(port), '127.0.0.1');
  socket.on('error', () => undefined);
  socket.once('data', () => socket.pause());
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  return socket;
}

export interface FeedFigures {
  events: number;
  eventBytes: number;
  rssBeforeMb: number;
  feeds: { readers: number; peakMb: number; deltaMb: number; alive: boolean };
  pages: { readers: number; peakMb: number; deltaMb: number; alive: boolean };
}

/** RSS while `readers` never-reading requests of `path` are open for `seconds` (peak of 1 s samples). */
async function holdReaders(server: Served, path: string, readers: number, seconds: number): Promise<{ peakMb: number; alive: boolean }> {
  const sockets = Array.from({ length: readers }, () => neverRead(server.url, path));
  let peak = 0;
  for (let s = 0; s < seconds * 4; s++) {
    await new Promise((r) => setTimeout(r, 250));
    if (server.child.exitCode !== null) break;
    peak = Math.max(peak, rssMb(server.child.pid!));
  }
  for (const socket of sockets) socket.destroy();
  return { peakMb: peak, alive: server.child.exitCode === null };
}

/** 30 feed readers that never read, asking for a backlog of 1000 over 150 events of ~1 MiB (SQLite). */
export async function feedReaders(seconds: number): Promise<FeedFigures> {
  const work = mkdtempSync(join(tmpdir(), 'ipk-bench-feeds-'));
  const events = 150;
  const eventBytes = 1000 * 1024;
  try {
    const inbox = new SqliteInbox({ file: join(work, 'data', 'inbox.sqlite') });
    await fill(inbox, events, (i) => `${i} `.padEnd(eventBytes, 'x'), 5);
    await inbox.close();
    const server = await startServer(work, { DATA_DIR: join(work, 'data') });
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const rssBeforeMb = rssMb(server.child.pid!);
      const feeds = await holdReaders(server, '/inbox/events?backlog=1000', 30, seconds);
      await new Promise((r) => setTimeout(r, 1000));
      const pages = await holdReaders(server, '/inbox/messages?limit=1000&order=desc', 12, seconds);
      return {
        events,
        eventBytes,
        rssBeforeMb,
        feeds: { readers: 30, ...feeds, deltaMb: feeds.peakMb - rssBeforeMb },
        pages: { readers: 12, ...pages, deltaMb: pages.peakMb - rssBeforeMb },
      };
    } finally {
      server.stop();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Both measurements, printed; what `npm run bench` calls. */
export async function measureReads(): Promise<{ stall: StallFigures[]; feeds: FeedFigures }> {
  const events = Number(process.env.INBOX_EVENTS ?? 100_000);
  const seconds = Number(process.env.BENCH_SECONDS ?? 5);
  const stall: StallFigures[] = [];
  const stores = process.env.BENCH_POSTGRES === '0' ? (['sqlite'] as const) : (['sqlite', 'postgresql'] as const);
  for (const store of stores) {
    const f = await searchStall(store, events, seconds);
    stall.push(f);
    console.log(
      `pushes with 2 clients looping the worst search over ${f.events} events, ${f.store}: ${f.loaded.okRps}/s (p99 ${f.loaded.p99} ms) against ${f.unloaded.okRps}/s (p99 ${f.unloaded.p99} ms) unloaded: ratio ${f.ratio} (target ≥ 0.7, p99 ≤ 100 ms); searches answered ${JSON.stringify(f.searches)}`,
    );
  }
  const feeds = await feedReaders(Math.max(3, seconds));
  console.log(
    `30 feed readers that never read, backlog=1000 over ${feeds.events} events of ~1 MiB: RSS ${feeds.rssBeforeMb} MB → peak ${feeds.feeds.peakMb} MB (+${feeds.feeds.deltaMb} MB, target ≤ +300), alive ${feeds.feeds.alive}; 12 unread pages of limit=1000: +${feeds.pages.deltaMb} MB, alive ${feeds.pages.alive}`,
  );
  return { stall, feeds };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await measureReads();
  mkdirSync(join(root, 'reports/bench'), { recursive: true });
  writeFileSync(join(root, 'reports/bench/reads.json'), `${JSON.stringify({ date: new Date().toISOString(), ...figures }, null, 2)}\n`);
}
