// `npm run bench:cpu -- [main.js …]` (default: server/dist/server/main.js): CPU per request of each thread of a server build at saturation (or
// at RATE req/s), read from /proc (Linux), and with PROF=1 where the main thread's time goes, in µs per
// request, from --cpu-prof. This is how the README's "Where a push's time goes" was measured: run two
// builds back to back (e.g. main's dist and BENCH_BASELINE's) and compare. 127.0.0.1 only; SECS seconds.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort } from '../support/process.js';

const root = new URL('../..', import.meta.url).pathname;
const RATE = Number(process.env.RATE ?? 0);
const SECS = Number(process.env.SECS ?? 8);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
const SECRET = 'bench-secret';
const ACCOUNT = '17841400000000000';

/** Groups a profile node by who owns the code it runs. */
function ownerOf(url, fn) {
  if (!url) return fn || '(native)';
  if (/\/server\/(dist\/server\/)?[^/]+/.test(url) && !/node_modules\/(?!\.cache)/.test(url)) return `ours: ${url.replace(/.*\/server\/(dist\/server\/)?/, '')}`;
  if (/node_modules\/(express|router|body-parser|finalhandler|send|parseurl|qs|depd|on-finished|setprototypeof)\//.test(url)) return 'Express and its router';
  if (/node_modules\/better-sqlite3\//.test(url)) return 'better-sqlite3';
  if (/node_modules\//.test(url)) return `package: ${url.match(/node_modules\/([^/]+)/)[1]}`;
  if (/_http|http/.test(url)) return "Node's HTTP";
  if (/net|stream/.test(url)) return 'Node net and streams';
  if (/crypto/.test(url)) return 'crypto';
  if (/events|task_queues|timers|promise/.test(url)) return 'events and ticks';
  return `node: ${url.replace('node:internal/', '')}`;
}

/** µs per request by owner, over the profile after the first 1.5 s (start-up). */
function profileByOwner(file, requests) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const owners = new Map();
  let t = p.startTime;
  let first = 0;
  let last = 0;
  let samples = 0;
  p.samples.forEach((id, i) => {
    t += p.timeDeltas[i];
    if (t - p.startTime < 1.5e6) return;
    first ||= t;
    last = t;
    samples++;
    const n = byId.get(id);
    const owner = ownerOf(n.callFrame.url, n.callFrame.functionName);
    owners.set(owner, (owners.get(owner) ?? 0) + 1);
  });
  const usPer = (count) => ((count / samples) * (last - first)) / requests;
  return [...owners].sort((a, b) => b[1] - a[1]).map(([owner, count]) => ({ owner, usPerRequest: Math.round(usPer(count) * 10) / 10 }));
}

async function measure(main) {
  const work = mkdtempSync(join(tmpdir(), 'ipk-cpu-'));
  writeFileSync(join(work, 'config.json'), JSON.stringify({ channels: [{ id: 'chan-a', accountId: ACCOUNT, appSecret: SECRET, verifyToken: 'vt' }] }));
  const port = await freePort();
  const profDir = join(work, 'prof');
  const child = spawn(process.execPath, [...(process.env.PROF ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), main], {
    cwd: root,
    env: { ...process.env, PORT: String(port), CONFIG: join(work, 'config.json'), DATA_DIR: join(work, 'data'), LOG_LEVEL: 'warn', SECRET },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await new Promise((r) => setTimeout(r, 1500));
  const pool = Array.from({ length: 60_000 }, (_, i) => {
    const body = JSON.stringify({ object: 'instagram', entry: [{ id: ACCOUNT, time: 1732519200123, messaging: [{ sender: { id: '6543210987654321' }, recipient: { id: ACCOUNT }, timestamp: 1732519199876, message: { mid: `cpu-${process.pid}-${i}`, text: 'Hi! Is the blue jacket still in stock? I would like to order two of them in size M, please.', attachments: [{ type: 'image', payload: { url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1234567890&signature=AbCdEf' } }] } }] }] });
    return { method: 'POST', path: '/apiaccess/api/instagram/message/chan-a', headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` }, body };
  });
  let n = 0;
  const load = (seconds) => autocannon({ url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, duration: seconds, ...(RATE ? { overallRate: RATE } : {}), requests: [{ setupRequest: () => pool[n++ % pool.length] }] });
  const ticks = () =>
    Object.fromEntries(
      readdirSync(`/proc/${child.pid}/task`).map((tid) => {
        const stat = readFileSync(`/proc/${child.pid}/task/${tid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return [`${tid} ${readFileSync(`/proc/${child.pid}/task/${tid}/comm`, 'utf8').trim()}`, Number(fields[11]) + Number(fields[12])];
      }),
    );
  const warm = await load(2);
  const before = ticks();
  const self = process.cpuUsage();
  const r = await load(SECS);
  const after = ticks();
  const own = process.cpuUsage(self);
  const requests = r['2xx'];
  console.log(`${main}: ${Math.round(requests / SECS)} ok/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx}`);
  let total = 0;
  for (const [thread, t] of Object.entries(after)) {
    const ms = (t - (before[thread] ?? 0)) * 10;
    total += ms;
    if (ms > SECS * 10) console.log(`  thread ${thread.padEnd(24)} ${(ms / SECS / 10).toFixed(1).padStart(5)}% of a core, ${((ms * 1000) / requests).toFixed(1).padStart(6)} µs per request`);
  }
  console.log(`  all threads ${((total * 1000) / requests).toFixed(1)} µs per request; load generator ${((own.user + own.system) / 1000 / SECS / 10).toFixed(1)}% of a core`);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  if (process.env.PROF) {
    const files = readdirSync(profDir).sort();
    files.forEach((f, i) => {
      console.log(`  ${i === 0 ? 'main thread' : `thread ${i}`} (wall time per request by owner):`);
      for (const o of profileByOwner(join(profDir, f), warm['2xx'] + requests).slice(0, 16)) console.log(`    ${String(o.usPerRequest).padStart(6)} µs  ${o.owner}`);
    });
  }
}

const builds = process.argv.slice(2);
for (const main of builds.length ? builds : ['server/dist/server/main.js']) await measure(main);
