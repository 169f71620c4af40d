// The processes the relay rows measure, all the built reference server (server/dist) on 127.0.0.1:
// the relay (channel chan-a, forwarding to one destination), the same server with no destination (the
// baseline), and the destination: a second reference server with a channel of the same account, which
// stores what it is forwarded and deduplicates by mid, as the contact center's endpoint would. And the
// readings the rows take of them: the relay's GET /relay/destinations, the destination's /metrics.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from '../support/process.js';
import { ACCOUNT, SECRET, waitListening } from './push-load.js';

const root = new URL('../..', import.meta.url).pathname;
const MAIN = process.env.BENCH_MAIN ?? 'server/dist/server/main.js';
export const PUSH_PATH = '/apiaccess/api/instagram/message/chan-a';
const DEST_SECRET = 'bench-destination-secret';
const ADMIN = 'bench-admin';
const METRICS = 'bench-metrics';
export const DESTINATION_ID = 'cc';
const loopDelayHook = pathToFileURL(join(root, 'test/bench/loop-delay.mjs')).href;

export interface Served {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export interface RelayShape {
  /** Attempts in flight to the destination (the destination's `concurrency`). */
  concurrency: number;
  /** Attempts a second at most (`rate`); unlimited when absent. */
  rate?: number;
}

let dirs = 0;

async function start(work: string, name: string, doc: object, port?: number): Promise<Served> {
  const config = join(work, `${name}-${dirs}.json`);
  writeFileSync(config, JSON.stringify(doc));
  const listen = port ?? (await freePort());
  const child = spawn(process.execPath, [...(process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : []), '--import', loopDelayHook, MAIN], {
    cwd: root,
    env: { ...process.env, PORT: String(listen), CONFIG: config, DATA_DIR: join(work, `data-${name}-${dirs++}`), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await waitListening(listen, child);
  return {
    port: listen,
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

const channel = { id: 'chan-a', accountId: ACCOUNT, appSecret: SECRET, verifyToken: 'vt' };

/** The reference server with no destination: what the relay's push rate is compared with. */
export const startBaseline = (work: string) => start(work, 'baseline', { channels: [channel] });

/** The relay, forwarding chan-a to a destination on `destinationPort` (which need not listen yet). */
export const startRelay = (work: string, destinationPort: number, shape: RelayShape) =>
  start(work, 'relay', {
    channels: [
      {
        ...channel,
        destinations: [
          {
            id: DESTINATION_ID,
            url: `http://127.0.0.1:${destinationPort}/apiaccess/api/instagram/message/chan-b`,
            appSecret: DEST_SECRET,
            concurrency: shape.concurrency,
            ...(shape.rate ? { rate: shape.rate } : {}),
          },
        ],
      },
    ],
    adminToken: ADMIN,
  });

/** The destination: a reference server that accepts what the relay signs for it, with /metrics on. */
export const startDestination = (work: string, port?: number) =>
  start(work, 'destination', { channels: [{ id: 'chan-b', accountId: ACCOUNT, appSecret: DEST_SECRET, verifyToken: 'vt' }], metricsToken: METRICS }, port);

export interface ForwardCounts {
  pending: number;
  retrying: number;
  delivered: number;
  dead: number;
}

/** The relay's counts for the destination (GET /relay/destinations). */
export async function forwardCounts(relay: Served): Promise<ForwardCounts> {
  const r = await fetch(`http://127.0.0.1:${relay.port}/relay/destinations`);
  const body = (await r.json()) as { items: { id: string; counts: ForwardCounts }[] };
  return body.items.find((d) => d.id === DESTINATION_ID)!.counts;
}

/** Pauses or resumes the destination through the admin API. */
export async function setPaused(relay: Served, paused: boolean): Promise<void> {
  const r = await fetch(`http://127.0.0.1:${relay.port}/relay/destinations/${DESTINATION_ID}/${paused ? 'pause' : 'resume'}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
  if (r.status !== 200) throw new Error(`${paused ? 'pause' : 'resume'} answered ${r.status}`);
}

export interface Received {
  /** Deliveries the destination answered 200. */
  deliveries: number;
  /** Events it stored (new mids). */
  events: number;
  /** Events it had already stored (the relay's repeats). */
  duplicates: number;
}

const counter = (text: string, name: string) => {
  const m = new RegExp(`^${name}\\{channel="chan-b"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
};

/** What the destination received, from its /metrics. */
export async function received(destination: Served): Promise<Received> {
  const r = await fetch(`http://127.0.0.1:${destination.port}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } });
  const text = await r.text();
  return { deliveries: counter(text, 'ipk_push_accepted_total'), events: counter(text, 'ipk_events_stored_total'), duplicates: counter(text, 'ipk_push_duplicate_events_total') };
}

/** Every event the destination stored: mid → when it was received (ms since the epoch), paged oldest first. */
export async function arrivals(destination: Served): Promise<Map<string, number>> {
  const at = new Map<string, number>();
  let cursor: string | undefined;
  for (;;) {
    const query = new URLSearchParams({ channel: 'chan-b', limit: '1000', ...(cursor ? { cursor } : {}) });
    const r = await fetch(`http://127.0.0.1:${destination.port}/inbox/messages?${query}`);
    const page = (await r.json()) as { items: { mid: string | null; receivedAt: string }[]; nextCursor?: string; truncated?: boolean };
    for (const item of page.items) if (item.mid) at.set(item.mid, Date.parse(item.receivedAt));
    if (!page.nextCursor || (page.items.length < 1000 && !page.truncated)) return at;
    cursor = page.nextCursor;
  }
}
