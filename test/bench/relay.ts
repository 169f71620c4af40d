// `npm run bench:relay` (and `npm run bench` with BENCH_RELAY=1): the relay's rows R1–R3 (relay-rows.ts)
// on the built server, printed and written to reports/bench/relay.json. Some 4 minutes at the default
// sizes on an idle machine (half an hour at load average 15), so `npm run bench` leaves it out unless
// asked. Sizes:
//   BENCH_SECONDS (5) and BENCH_ROUNDS (2) for R1, as the main rows; RELAY_SECONDS (60) for R2;
//   RELAY_EVENTS (100 000) for R3; RELAY_CONCURRENCY (16) attempts in flight to the destination;
//   RELAY_RATE (unset: unlimited) the destination's `rate`; RELAY_ROWS (R1,R2,R3) which rows (R2 needs R1);
//   RELAY_DRAIN_TIMEOUT (900 s) bounds R3's drain; BENCH_PROF=<dir> runs every server under --cpu-prof
//   (profiles written to <dir> as each stops).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { drain, forwardingOverhead, keepUp } from './relay-rows.js';

const root = new URL('../..', import.meta.url).pathname;

export async function measureRelay(log: (line: string) => void = console.log) {
  const shape = { concurrency: Number(process.env.RELAY_CONCURRENCY ?? 16), ...(process.env.RELAY_RATE ? { rate: Number(process.env.RELAY_RATE) } : {}) };
  const work = mkdtempSync(join(tmpdir(), 'ipk-bench-relay-'));
  const loadBefore = loadavg().map((x) => x.toFixed(2)).join(' ');
  const rows = (process.env.RELAY_ROWS ?? 'R1,R2,R3').split(',');
  try {
    const r1 = !rows.includes('R1') ? undefined : await forwardingOverhead(work, { seconds: Number(process.env.BENCH_SECONDS ?? 5), rounds: Number(process.env.BENCH_ROUNDS ?? 2), shape, log: (l) => log(`R1 ${l}`) });
    if (r1) {
      log(
        `R1 forwarding overhead: ${r1.relayRps} ok/s with forwarding ÷ ${r1.baselineRps} without = ${r1.ratio.toFixed(2)} (target ≥ 0.70); p99 ${r1.relayP99} ms against ${r1.baselineP99} ms; ` +
        `delivered at the destination ${r1.deliveredPerSecond}/s during the load, backlog ${r1.backlogAtEnd} when it stopped; ${r1.eventsPerDelivery.toFixed(2)} events per forwarded delivery`,
      );
    }
    const r2 = !r1 || !rows.includes('R2') ? undefined : await keepUp(work, { rate: Math.round(r1.baselineRps / 2), seconds: Number(process.env.RELAY_SECONDS ?? 60), shape });
    if (r2) {
      log(
        `R2 half load (${r2.rate}/s paced, ${r2.seconds} s, ${r2.pushedOk} pushed, ${r2.pushErrors} errors, ${r2.generatorBehind} not sent): backlog ${r2.backlog.first} at ${r2.backlog.firstAtS} s → ${r2.backlog.end} at the end ` +
        `(max ${r2.backlog.max}, trend ${r2.backlog.slopePerSecond}/s): ${r2.keepsUp ? 'keeps up' : 'falls behind'}; acceptance to destination p50 ${r2.latencyMs.p50} ms, p99 ${r2.latencyMs.p99} ms (target ≤ 250), ` +
        `max ${r2.latencyMs.max} ms over ${r2.latencyMs.measured} events (${r2.latencyMs.missing} not arrived); relay loop p99 ${r2.loopP99} ms; ${r2.eventsPerDelivery.toFixed(2)} events per delivery`,
      );
    }
    const r3 = !rows.includes('R3') ? undefined : await drain(work, { events: Number(process.env.RELAY_EVENTS ?? 100_000), shape, timeoutS: Number(process.env.RELAY_DRAIN_TIMEOUT ?? 900) });
    if (r3) {
      log(
        `R3 destination down: ${r3.events} pushed at ${r3.downRps}/s ÷ ${r3.baselineRps}/s with no destination = ${r3.ratio.toFixed(2)} (errors ${r3.pushErrors}); backlog ${r3.backlog}; ` +
        `drained ${r3.drained} in ${r3.drainSeconds} s = ${r3.drainPerSecond}/s (rate ${r3.configuredRate ?? 'unlimited'}, concurrency ${shape.concurrency}); ` +
        `relay RSS ${r3.rssBeforeMb} MB before, ${r3.rssPeakMb} MB at peak (+${r3.rssPeakMb - r3.rssBeforeMb}, target ≤ +50), ${r3.rssEndMb} MB at the end (anonymous ${r3.anonBeforeMb} → ${r3.anonPeakMb} MB; by tenths drained: ${r3.rssPathMb.join(' ')} MB)`,
      );
    }
    const loadAfter = loadavg().map((x) => x.toFixed(2)).join(' ');
    log(`load average ${loadBefore} before, ${loadAfter} after`);
    return { date: new Date().toISOString(), machine: { cpus: cpus().length, node: process.version, loadBefore, loadAfter }, shape, overhead: r1, keepUp: r2, drain: r3 };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.env.BENCH_BUILD !== '0') {
    const build = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('build failed');
  }
  const result = await measureRelay();
  mkdirSync(join(root, 'reports/bench'), { recursive: true });
  writeFileSync(join(root, 'reports/bench/relay.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log('figures written to reports/bench/relay.json');
}
