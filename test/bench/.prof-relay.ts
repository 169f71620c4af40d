// ad hoc: profile the relay under full push load with forwarding (not committed)
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/process.js';
import { ACCOUNT, SECRET, load, waitListening } from './push-load.js';
import { PUSH_PATH, startDestination, received, forwardCounts, setPaused } from './relay-servers.js';
const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'ipk-prof-'));
const mode = process.env.MODE ?? 'load';
const dest = await startDestination(work);
const config = join(work, 'relay.json');
writeFileSync(config, JSON.stringify({ channels: [{ id: 'chan-a', accountId: ACCOUNT, appSecret: SECRET, verifyToken: 'vt', destinations: [{ id: 'cc', url: `http://127.0.0.1:${dest.port}/apiaccess/api/instagram/message/chan-b`, appSecret: 'bench-destination-secret', concurrency: 16 }] }], adminToken: 'bench-admin' }));
const port = await freePort();
const dir = join(work, 'prof');
const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, 'server/dist/server/main.js'], { cwd: root, env: { ...process.env, PORT: String(port), CONFIG: config, DATA_DIR: join(work, 'data'), LOG_LEVEL: 'warn' }, stdio: ['ignore', 'inherit', 'inherit'] });
await waitListening(port, child);
const relay = { port, child, stop: async () => {} };
if (mode === 'load') {
  const s = await load(port, PUSH_PATH, { seconds: Number(process.env.SECS ?? 8), tag: 'p' });
  console.log('ok/s', Math.round(s.okRps), await received(dest), await forwardCounts(relay as any));
} else {
  await setPaused(relay as any, true);
  await load(port, PUSH_PATH, { amount: 3000, tag: 'p' });
  const t = performance.now();
  await setPaused(relay as any, false);
  while ((await received(dest)).events < 3000) await new Promise((r) => setTimeout(r, 200));
  console.log('drain/s', Math.round(3000 / ((performance.now() - t) / 1000)));
}
const exited = new Promise((r) => child.once('exit', r));
child.kill('SIGTERM');
await exited;
await dest.stop();
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
const p = JSON.parse(readFileSync(join(dir, file), 'utf8'));
const byId = new Map<number, any>(p.nodes.map((n: any) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map<string, number>(); const incl = new Map<string, number>();
const key = (n: any) => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/.*\/(node_modules|dist)\//, '$1/')}:${n.callFrame.lineNumber}`;
for (const id of p.samples) {
  const n = byId.get(id); self.set(key(n), (self.get(key(n)) ?? 0) + 1);
  const seen = new Set<string>(); let cur: number | undefined = id;
  while (cur !== undefined) { const k = key(byId.get(cur)); if (!seen.has(k)) { seen.add(k); incl.set(k, (incl.get(k) ?? 0) + 1); } cur = parent.get(cur); }
}
const total = p.samples.length;
const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${(v / total * 100).toFixed(1).padStart(5)}% ${k}`).join('\n');
console.log('SELF\n' + top(self, 25));
console.log('INCLUSIVE (server/relay, undici, sqlite)\n' + top(new Map([...incl].filter(([k]) => /relay|undici|fetch|better-sqlite|sqlite|push-fast|writer/.test(k))), 30));
