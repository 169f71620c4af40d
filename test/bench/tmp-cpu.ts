import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from './push-load.js';
import { PUSH_PATH, received, startBaseline, startDestination, startRelay } from './relay-servers.js';
const work = mkdtempSync(join(tmpdir(), 'ipk-cpu-'));
const ticks = (pid: number) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
const threads = (pid: number) => Object.fromEntries(require('node:fs').readdirSync(`/proc/${pid}/task`).map((t: string) => { const s = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8'); const name = s.slice(s.indexOf('(') + 1, s.indexOf(')')); const f = s.split(') ')[1]!.split(' '); return [`${name}-${t}`, (Number(f[11]) + Number(f[12])) * 10]; }));
async function run(label: string, procs: { name: string; pid: number }[], port: number) {
  await load(port, PUSH_PATH, { seconds: 1, tag: 'warm' + label });
  const before = procs.map((p) => ticks(p.pid)); const self0 = process.cpuUsage();
  const t0 = procs.map((p) => threads(p.pid));
  const s = await load(port, PUSH_PATH, { seconds: 6, tag: label });
  const after = procs.map((p) => ticks(p.pid)); const self = process.cpuUsage(self0);
  const t1 = procs.map((p) => threads(p.pid));
  console.log(label, Math.round(s.okRps), 'ok/s; CPU ms per 1000 pushes:', procs.map((p, i) => `${p.name} ${((after[i]! - before[i]!) / (s.okRps*6) * 1000).toFixed(0)}`).join(', '), `loadgen ${((self.user + self.system) / 1000 / (s.okRps*6) * 1000).toFixed(0)}`);
  procs.forEach((p, i) => console.log('  ', p.name, Object.entries(t1[i]!).map(([k, v]) => [k, v - (t0[i]![k] ?? 0)]).filter(([, v]) => (v as number) > 50).map(([k, v]) => `${k}:${v}`).join(' ')));
}
const b = await startBaseline(work);
await run('baseline', [{ name: 'server', pid: b.child.pid! }], b.port);
await b.stop();
const destination = await startDestination(work);
const relay = await startRelay(work, destination.port, { concurrency: 16 });
await run('relay', [{ name: 'relay', pid: relay.child.pid! }, { name: 'dest', pid: destination.child.pid! }], relay.port);
console.log(await received(destination));
await relay.stop(); await destination.stop();
