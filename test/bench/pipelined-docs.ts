// `npm run bench:pipelining`: what clients that pipeline `GET /docs` and never read cost the server.
// 10 connections each send 1000 pipelined `GET /docs` (no Accept-Encoding: the 2.6 MB page, the worst
// case) and never read; meanwhile another client pushes. Reports the server's RSS before, at its peak
// and after, and the push rate under that load as a ratio of the rate unloaded (the reach:
// RSS within +150 MB, pushes at >= 50%). The server is `server/main.ts` through tsx, run from this
// checkout or from BENCH_ROOT (another checkout with node_modules, e.g. a scratch copy of main, for a
// before/after in the same conditions). Bounded: about 20 s, 127.0.0.1 only.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort } from '../support/process.js';

const root = process.env.BENCH_ROOT ?? new URL('../..', import.meta.url).pathname;
const CONNECTIONS = Number(process.env.PIPELINE_CONNECTIONS ?? 10);
const REQUESTS = Number(process.env.PIPELINE_REQUESTS ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);

const dataDir = mkdtempSync(join(tmpdir(), 'ipk-pipelining-bench-'));
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
  cwd: root,
  env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;

for (let ready = false; !ready; await new Promise((r) => setTimeout(r, 100))) {
  ready = await fetch(`${url}/readyz`).then((r) => r.status === 200, () => false);
}

let n = 0;
const delivery = () =>
  JSON.stringify({
    object: 'instagram',
    entry: [{ id: '17841400000000000', time: 1732519200123, messaging: [{ sender: { id: '1' }, recipient: { id: '17841400000000000' }, timestamp: 1732519199876, message: { mid: `bench-${process.pid}-${n++}`, text: 'Is the blue jacket still in stock?' } }] }],
  });

async function pushRate(): Promise<number> {
  const r = await autocannon({
    url: `${url}/apiaccess/api/instagram/message/chan-a`,
    connections: 4,
    duration: SECONDS,
    requests: [{ method: 'POST', headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: delivery() }) }],
  });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`pushes failed: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return r.requests.average;
}

// The page is read (and compressed) once before anything is measured.
await (await fetch(`${url}/docs`)).arrayBuffer();
await pushRate();
const unloaded = await pushRate();
const before = rssMb();

let peak = before;
const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 100);
const sockets: Socket[] = [];
let closedByServer = 0;
for (let i = 0; i < CONNECTIONS; i++) {
  const s = connect(port, '127.0.0.1');
  s.on('error', () => {});
  s.on('close', () => closedByServer++);
  s.on('connect', () => {
    s.pause();
    s.write('GET /docs HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'.repeat(REQUESTS));
  });
  sockets.push(s);
}
await new Promise((r) => setTimeout(r, 2000));
const loaded = await pushRate();
const during = rssMb();
clearInterval(sampler);
const stillOpen = CONNECTIONS - closedByServer;
for (const s of sockets) s.destroy();
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
rmSync(dataDir, { recursive: true, force: true });

const fmt = (x: number) => x.toFixed(0);
console.log(`server: ${root}`);
console.log(`${CONNECTIONS} connections x ${REQUESTS} pipelined unread GET /docs`);
console.log(`RSS: ${fmt(before)} MB before, ${fmt(peak)} MB at peak (+${fmt(peak - before)} MB), ${fmt(during)} MB after the loaded pushes`);
console.log(`pushes: ${fmt(unloaded)}/s unloaded, ${fmt(loaded)}/s loaded: ratio ${(loaded / unloaded).toFixed(2)}`);
console.log(`pipelining connections still open at the end: ${stillOpen}/${CONNECTIONS}`);
