// `npm run bench`: the reference server with everything on, measured beside the framework floor (bare
// Express), the Node limit (raw node:http), the peer a Node user would pick (Fastify validating and
// checking the HMAC) and the contract-tool peer (Prism's mock), in one process tree, in interleaved
// rounds, on 127.0.0.1 only. Only the ratios measured in the same run mean anything on a noisy machine.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from '../support/process.js';
import { ACCOUNT, CONNECTIONS, delivery, load as loadPath, loopDelay, median, rssKb, SECRET, waitListening, type LoadSample as Sample } from './push-load.js';
import { measureRelay } from './relay.js';
import { measureLoopStalls } from './event-loop.js';
import { measureValidation } from './validation.js';
import { measureReads } from './reads.js';
import { startPgCluster } from '../support/postgres.js';
import { summarizeProfile } from './profile.js';

const root = new URL('../..', import.meta.url).pathname;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const PATH = '/apiaccess/api/instagram/message/chan-a';

interface Target {
  name: string;
  start(port: number): ChildProcess;
  /** Processes to start; the connections are split evenly across them (default 1). */
  instances?: number;
}

const work = mkdtempSync(join(tmpdir(), 'ipk-bench-'));
const config = join(work, 'config.json');
writeFileSync(config, JSON.stringify({ channels: [{ id: 'chan-a', accountId: ACCOUNT, appSecret: SECRET, verifyToken: 'vt' }] }));
let dataDirs = 0;
// The same configuration with a metrics token, for the row that scrapes /metrics every second.
const METRICS_TOKEN = 'bench-metrics';
const metricsConfig = join(work, 'config-metrics.json');
writeFileSync(metricsConfig, JSON.stringify({ channels: [{ id: 'chan-a', accountId: ACCOUNT, appSecret: SECRET, verifyToken: 'vt' }], metricsToken: METRICS_TOKEN }));

// Every measured process gets loop-delay.mjs preloaded: it reports its own event-loop delay over IPC.
const loopDelayHook = pathToFileURL(join(root, 'test/bench/loop-delay.mjs')).href;
const node = (args: string[], env: Record<string, string>) =>
  spawn(process.execPath, ['--import', loopDelayHook, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });

const server = (extraEnv: Record<string, string> = {}, main = 'server/dist/server/main.js') => (port: number) =>
  node([main], { PORT: String(port), CONFIG: config, DATA_DIR: join(work, `data-${dataDirs++}`), LOG_LEVEL: 'warn', ...extraEnv });

/** The reference server, scraped for /metrics once a second (as Prometheus would, at a short interval) while it runs. */
const scrapedServer = (port: number): ChildProcess => {
  const child = server({ CONFIG: metricsConfig })(port);
  const timer = setInterval(() => {
    fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then((r) => r.arrayBuffer(), () => undefined);
  }, 1000);
  child.once('exit', () => clearInterval(timer));
  return child;
};

const targets: Target[] = [
  { name: '(1) reference server, everything on', start: server() },
  { name: '(1m) reference server, /metrics scraped 1/s', start: scrapedServer },
  { name: '(2) bare Express 5', start: (port) => node(['test/bench/peers/bare-express.mjs'], { PORT: String(port) }) },
  { name: '(3) raw node:http', start: (port) => node(['test/bench/peers/raw-node.mjs'], { PORT: String(port) }) },
  { name: '(4) Fastify 5 + schema + HMAC', start: (port) => node(['test/bench/peers/fastify.mjs'], { PORT: String(port), SECRET }) },
  {
    name: '(5) Prism mock',
    start: (port) => node(['node_modules/@stoplight/prism-cli/dist/index.js', 'mock', '-h', '127.0.0.1', '-p', String(port), '--errors', 'false', 'generated/openapi.json'], {}),
  },
];
// The shared store, on a throwaway local cluster (fsync on), for the Scaling-out figures.
const pgCluster = process.env.BENCH_POSTGRES === '0' ? undefined : await startPgCluster();
if (pgCluster) {
  targets.splice(
    1,
    0,
    { name: '(1p) reference server on PostgreSQL', start: server({ DATABASE_URL: await pgCluster.createDatabase('bench') }) },
    { name: '(1p2) two instances on one PostgreSQL', start: server({ DATABASE_URL: await pgCluster.createDatabase('bench2') }), instances: 2 },
  );
  if (process.env.BENCH_BASELINE) {
    targets.splice(2, 0, { name: '(1p-) PostgreSQL, baseline build', start: server({ DATABASE_URL: await pgCluster.createDatabase('bench_baseline') }, process.env.BENCH_BASELINE) });
  }
}
// BENCH_BASELINE=<main.js of another build> adds the reference server as built there (e.g. main's HEAD),
// measured in the same run, for a before/after ratio.
if (process.env.BENCH_BASELINE) targets.splice(1, 0, { name: '(1-) reference server, baseline build', start: server({}, process.env.BENCH_BASELINE) });
if (process.env.BENCH_RESPONSES_OFF === '1') targets.splice(1, 0, { name: '(1b) reference server, responses unvalidated', start: server({ VALIDATE_RESPONSES: 'false' }) });

/** Loads every port at once (the connections split between them); sums throughput, keeps the worst latency. */
async function loadAll(ports: number[], seconds: number, tag: string): Promise<Sample> {
  if (ports.length === 1) return load(ports[0]!, seconds, tag);
  const samples = await Promise.all(ports.map((port, i) => load(port, seconds, `${tag}-i${i}`, Math.ceil(CONNECTIONS / ports.length))));
  return {
    okRps: samples.reduce((a, x) => a + x.okRps, 0),
    p50: Math.max(...samples.map((x) => x.p50)),
    p99: Math.max(...samples.map((x) => x.p99)),
    errors: samples.reduce((a, x) => a + x.errors, 0),
    loopP99: Number.NaN,
  };
}

const load = (port: number, seconds: number, tag: string, connections = CONNECTIONS): Promise<Sample> => loadPath(port, PATH, { seconds, tag, connections });

async function coldStartMs(): Promise<number> {
  const port = await freePort();
  const { body, signature } = delivery('cold-start');
  const started = performance.now();
  const child = server()(port);
  try {
    for (;;) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}${PATH}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body });
        if (r.status === 200) return performance.now() - started;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    child.kill();
  }
}

async function memoryUnderLoad(seconds: number): Promise<{ warmKb: number; endKb: number; growthPct: number }> {
  const port = await freePort();
  const child = server()(port);
  await waitListening(port, child);
  const samples: number[] = [];
  const timer = setInterval(() => samples.push(rssKb(child.pid!)), 1000);
  await load(port, seconds, 'memory');
  clearInterval(timer);
  child.kill();
  const warm = samples[Math.min(10, samples.length - 1)]!;
  const end = samples.at(-1)!;
  return { warmKb: warm, endKb: end, growthPct: Math.round(((end - warm) / warm) * 1000) / 10 };
}

/** Runs the reference server under --cpu-prof for `seconds` of load and summarises the profile. */
async function profileUnderLoad(seconds: number) {
  const port = await freePort();
  const dir = join(work, 'profile');
  const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, 'server/dist/server/main.js'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), CONFIG: config, DATA_DIR: join(work, 'data-profile'), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitListening(port, child);
  await load(port, 1, 'profile-warm');
  await load(port, seconds, 'profile');
  // The profile is written when the process exits; SIGTERM makes it shut down cleanly.
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  return summarizeProfile(dir);
}

/** Median without rounding (the loop delay is a fraction of a millisecond on fast rows). */
const medianOf = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : Math.round(((sorted[mid - 1]! + sorted[mid]!) / 2) * 10) / 10;
};

async function main(): Promise<void> {
  // BENCH_BUILD=0 measures server/dist as it is (built by other means, e.g. a worktree whose
  // node_modules belongs to another checkout and whose full build therefore does not apply).
  if (process.env.BENCH_BUILD !== '0') {
    const build = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('build failed');
  }
  const results = new Map<string, Sample[]>(targets.map((t) => [t.name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const target of targets) {
      const ports = await Promise.all(Array.from({ length: target.instances ?? 1 }, () => freePort()));
      const children = ports.map((port) => target.start(port));
      try {
        await Promise.all(ports.map((port, i) => waitListening(port, children[i]!)));
        await loadAll(ports, 1, `warm-${round}`);
        for (const child of children) child.send('loop-delay:reset');
        const sample = await loadAll(ports, SECONDS, `r${round}`);
        sample.loopP99 = await loopDelay(children);
        results.get(target.name)!.push(sample);
        console.log(`round ${round} ${target.name}: ${Math.round(sample.okRps)} ok/s, p50 ${sample.p50} ms, p99 ${sample.p99} ms, errors ${sample.errors}, event-loop delay p99 ${sample.loopP99} ms`);
      } finally {
        for (const child of children) child.kill();
      }
    }
  }
  const summary = targets.map((t) => {
    const s = results.get(t.name)!;
    return { target: t.name, okRps: Math.round(median(s.map((x) => x.okRps))), p50: median(s.map((x) => x.p50)), p99: median(s.map((x) => x.p99)), errors: s.reduce((a, x) => a + x.errors, 0), loopP99: medianOf(s.map((x) => x.loopP99)) };
  });
  const ours = summary[0]!.okRps;
  const by = (prefix: string) => summary.find((s) => s.target.startsWith(prefix))!.okRps;
  console.log('\ntarget                                        ok req/s   p50 ms   p99 ms   errors   (1)/this   loop p99 ms');
  for (const s of summary) {
    console.log(`${s.target.padEnd(44)} ${String(s.okRps).padStart(9)} ${String(s.p50).padStart(8)} ${String(s.p99).padStart(8)} ${String(s.errors).padStart(8)} ${(ours / s.okRps).toFixed(2).padStart(10)} ${String(s.loopP99).padStart(13)}`);
  }
  const ratios = { withMetricsScraped: by('(1m)') / ours, vsBareExpress: ours / by('(2)'), vsRawNode: ours / by('(3)'), vsFastify: ours / by('(4)'), vsPrism: ours / by('(5)') };
  console.log(`\ntargets: (1)/(2) ≥ 1.5 → ${ratios.vsBareExpress.toFixed(2)}; (1)/(5) ≥ 3 → ${ratios.vsPrism.toFixed(2)}; p99 ≤ 10 ms → ${summary[0]!.p99}; event-loop delay p99 ≤ 5 ms → ${summary[0]!.loopP99}; stretch (1)/(4) ≥ 0.5 → ${ratios.vsFastify.toFixed(2)}`);
  console.log(`metrics scraped every second: (1m) ÷ (1) → ${(by('(1m)') / ours).toFixed(3)} (target ≥ 0.97)`);
  if (process.env.BENCH_BASELINE) console.log(`(1) ÷ (1-) baseline build: ${(ours / by('(1-)')).toFixed(2)}`);
  if (process.env.BENCH_BASELINE && pgCluster) console.log(`(1p) ÷ (1p-) baseline build on PostgreSQL: ${(by('(1p)') / by('(1p-)')).toFixed(2)}; (1p) ÷ (1): ${(by('(1p)') / ours).toFixed(2)}`);
  const cold = [await coldStartMs(), await coldStartMs(), await coldStartMs()];
  console.log(`cold start to first 200 (dist, median of 3): ${Math.round(median(cold))} ms`);
  const memory = process.env.BENCH_MEMORY === '1' ? await memoryUnderLoad(60) : undefined;
  if (memory) console.log(`memory under 60 s of load: ${memory.warmKb} kB after warm-up, ${memory.endKb} kB at the end (${memory.growthPct}%)`);
  const profile = process.env.BENCH_PROFILE === '1' ? await profileUnderLoad(SECONDS) : undefined;
  if (profile) for (const p of profile) console.log(`profile: ${(p.share * 100).toFixed(1).padStart(5)}%  ${p.owner}`);
  const validation = await measureValidation();
  for (const v of validation) console.log(`validation, ${v.payload} (${v.bytes} bytes): ${v.validateUs} µs (JSON.parse of the same bytes: ${v.parseUs} µs)`);
  const loopStalls = await measureLoopStalls();
  for (const s of loopStalls) console.log(`event loop, ${s.payload} (${s.bytes} bytes): answered ${s.status}, longest stall ${s.maxDelayMs} ms (target for the largest accepted: < 100 ms)`);
  // Reads against the push path, and unread feeds and pages against memory (reads.ts); BENCH_READS=0 skips.
  const reads = process.env.BENCH_READS === '0' ? undefined : await measureReads();
  // The relay's rows (relay.ts, about 4 minutes; alone: `npm run bench:relay`) only when asked.
  const relay = process.env.BENCH_RELAY === '1' ? await measureRelay() : undefined;
  mkdirSync(join(root, 'reports/bench'), { recursive: true });
  writeFileSync(
    join(root, 'reports/bench/latest.json'),
    `${JSON.stringify({ date: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, method: { seconds: SECONDS, rounds: ROUNDS, connections: CONNECTIONS, bodyBytes: delivery('x').body.length }, summary, ratios, coldStartMs: cold, memory, validation, loopStalls, profile, reads, relay }, null, 2)}\n`,
  );
  console.log('figures written to reports/bench/latest.json');
}

try {
  await main();
} finally {
  await pgCluster?.destroy();
}
