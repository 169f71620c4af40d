// `node --import tsx test/bench/relay-sender.ts`: the relay's sender alone, in one run: the fetch-based
// one of a commit (SENDER_BASE, default b5525c1, the last with it), the keep-alive sender of the work
// tree (createHttpSender) and its one-shot `send` (a connection per delivery). SENDER_COUNT (20 000)
// deliveries of ~600 signed bytes, SENDER_CONCURRENCY (4) in flight, to a local node:http destination
// answering {"resultMsg":"200"}; SENDER_ROUNDS (2) rounds of the three. Each sender runs in a process of
// its own (the destination stays in this one, counting connections), which reports its deliveries/s, its
// CPU time per delivery (process.cpuUsage, user + system) and its RSS growth over the run.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const count = Number(process.env.SENDER_COUNT ?? 20_000);
const concurrency = Number(process.env.SENDER_CONCURRENCY ?? 4);
const rounds = Number(process.env.SENDER_ROUNDS ?? 2);
// The last commit with the fetch-based sender.
const base = process.env.SENDER_BASE ?? 'b5525c1';

interface Row {
  ok: number;
  connections: number;
  perSecond: number;
  cpuUsPerDelivery: number;
  rssGrowthMb: number;
  rssPeakGrowthMb: number;
}

/** What runs in each child: `count` deliveries through `module`'s sender, then one JSON line. */
const child = (module: string, url: string, keepAlive: boolean) => `
  const m = await import(${JSON.stringify(module)});
  const sender = ${keepAlive} ? m.createHttpSender() : { send: m.send, close() {} };
  const d = { id: 'bench', channel: 'c', url: ${JSON.stringify(url)}, appSecret: 'bench-secret', enabled: true, timeoutMs: 10000, maxAgeMs: 60000, concurrency: ${concurrency} };
  const event = (i) => Buffer.from(JSON.stringify({ object: 'instagram', entry: [{ id: '17841400000000000', time: 1733000000000 + i, messaging: [{ sender: { id: '1000' + i }, recipient: { id: '17841400000000000' }, timestamp: 1733000000000 + i, message: { mid: 'mid.' + 'x'.repeat(300) + i, text: 'hello '.repeat(20) } }] }] }));
  for (let i = 0; i < 200; i++) await sender.send(d, event(i)); // warm-up, not counted
  globalThis.gc?.();
  const rss0 = process.memoryUsage().rss; let peak = rss0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const cpu0 = process.cpuUsage(); const t0 = performance.now();
  let next = 0, ok = 0;
  await Promise.all(Array.from({ length: ${concurrency} }, async () => {
    while (next < ${count}) { const r = await sender.send(d, event(next++)); if (r.status === 200) ok++; }
  }));
  const seconds = (performance.now() - t0) / 1000; const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler); peak = Math.max(peak, process.memoryUsage().rss);
  sender.close();
  const mb = (b) => Math.round(b / 1048576 * 10) / 10;
  console.log(JSON.stringify({ ok, perSecond: Math.round(ok / seconds), cpuUsPerDelivery: Math.round((cpu.user + cpu.system) / ${count}), rssGrowthMb: mb(process.memoryUsage().rss - rss0), rssPeakGrowthMb: mb(peak - rss0) }));`;

function run(module: string, url: string, keepAlive: boolean): Promise<Row> {
  connections = 0;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child(module, url, keepAlive)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.on('exit', (code) => (code === 0 ? resolve({ ...(JSON.parse(out) as Row), connections }) : reject(new Error(`sender child exited ${code}`))));
  });
}

const work = mkdtempSync(join(tmpdir(), 'ipk-bench-sender-'));
/** Connections the destination accepted during the current child's run. */
let connections = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"resultMsg":"200"}'));
}).on('connection', () => connections++);
try {
  // The old sender as of `base`, its relative imports pointed at the work tree's modules.
  const old = execFileSync('git', ['show', `${base}:server/relay/sender.ts`], { cwd: root, encoding: 'utf8' }).replaceAll("from './", `from '${root}server/relay/`);
  const oldModule = join(work, 'sender-old.mts');
  writeFileSync(oldModule, old);
  const newModule = join(root, 'server/relay/sender.ts');
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/apiaccess/api/instagram/message/cc`;
  const rows: { name: string; row: Row }[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const [name, module, keepAlive] of [
      [`fetch (${base})`, oldModule, false],
      ['keep-alive node:http (createHttpSender)', newModule, true],
      ['one-shot node:http (send)', newModule, false],
    ] as const) {
      const row = await run(module, url, keepAlive);
      rows.push({ name, row });
      console.log(`round ${round + 1} ${name}: ${row.ok}/${count} ok over ${row.connections} connections, ${row.perSecond}/s, ${row.cpuUsPerDelivery} µs CPU per delivery, RSS +${row.rssGrowthMb} MB (peak +${row.rssPeakGrowthMb} MB)`);
    }
  }
  const mean = (name: string, key: keyof Row) => {
    const xs = rows.filter((r) => r.name.startsWith(name)).map((r) => r.row[key]);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  console.log(
    `mean over ${rounds} rounds: deliveries/s new ÷ old = ${(mean('keep', 'perSecond') / mean('fetch', 'perSecond')).toFixed(2)}; ` +
      `CPU per delivery ${mean('fetch', 'cpuUsPerDelivery').toFixed(0)} → ${mean('keep', 'cpuUsPerDelivery').toFixed(0)} µs; ` +
      `RSS growth ${mean('fetch', 'rssGrowthMb').toFixed(1)} → ${mean('keep', 'rssGrowthMb').toFixed(1)} MB (peak ${mean('fetch', 'rssPeakGrowthMb').toFixed(1)} → ${mean('keep', 'rssPeakGrowthMb').toFixed(1)} MB); ` +
      `one-shot send ÷ old = ${(mean('one-shot', 'perSecond') / mean('fetch', 'perSecond')).toFixed(2)}, ${mean('one-shot', 'cpuUsPerDelivery').toFixed(0)} µs CPU per delivery`,
  );
} finally {
  server.close();
  rmSync(work, { recursive: true, force: true });
}
