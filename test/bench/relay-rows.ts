// The relay's measured targets (issue 27, "What to reach"), each against a baseline measured in the
// same run, on 127.0.0.1, with the built reference server as relay and as destination (see
// relay-servers.ts):
// (R1) pushes/s at full load with forwarding ÷ the same server with no destination (target ≥ 0.70);
// (R2) at half the no-destination rate for RELAY_SECONDS: does forwarding keep up (the backlog at the
//      end against the start), and acceptance-to-destination latency p50/p99 (target p99 ≤ 250 ms);
// (R3) RELAY_EVENTS pushed while the destination is down (paused, not listening): the push rate ÷ no
//      destination; then it comes back: how fast the backlog drains and the relay's RSS (≤ +50 MB).
import { freePort } from '../support/process.js';
import { pacedLoad } from './paced-load.js';
import { load, loopDelay, median, rssKb, type LoadSample } from './push-load.js';
import { arrivals, forwardCounts, PUSH_PATH, received, setPaused, startBaseline, startDestination, startRelay, type RelayShape, type Served } from './relay-servers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const backlogOf = (c: { pending: number; retrying: number }) => c.pending + c.retrying;

/** Warms the target up for a second, then measures `seconds` of full load with its loop delay. */
async function measured(target: Served, seconds: number, tag: string): Promise<LoadSample> {
  await load(target.port, PUSH_PATH, { seconds: 1, tag: `warm-${tag}` });
  target.child.send('loop-delay:reset');
  const sample = await load(target.port, PUSH_PATH, { seconds, tag });
  sample.loopP99 = await loopDelay([target.child]);
  return sample;
}

export interface OverheadRound {
  baseline: LoadSample;
  relay: LoadSample;
  /** Events the destination stored during the measured seconds. */
  deliveredDuring: number;
  /** The relay's backlog (pending + retrying) when the load stopped. */
  backlogAtEnd: number;
  eventsPerDelivery: number;
}

/** R1: interleaved rounds of the server without and with a destination. */
export async function forwardingOverhead(work: string, opts: { seconds: number; rounds: number; shape: RelayShape; log: (line: string) => void }) {
  const rounds: OverheadRound[] = [];
  for (let round = 1; round <= opts.rounds; round++) {
    const a = await startBaseline(work);
    const baseline = await measured(a, opts.seconds, `base-${round}`).finally(() => a.stop());
    const destination = await startDestination(work);
    const relay = await startRelay(work, destination.port, opts.shape);
    try {
      await load(relay.port, PUSH_PATH, { seconds: 1, tag: `warm-fwd-${round}` });
      const before = await received(destination);
      relay.child.send('loop-delay:reset');
      const sample = await load(relay.port, PUSH_PATH, { seconds: opts.seconds, tag: `fwd-${round}` });
      sample.loopP99 = await loopDelay([relay.child]);
      const after = await received(destination);
      const counts = await forwardCounts(relay);
      const r = { baseline, relay: sample, deliveredDuring: after.events - before.events, backlogAtEnd: backlogOf(counts), eventsPerDelivery: after.events / Math.max(1, after.deliveries) };
      rounds.push(r);
      opts.log(
        `round ${round}: no destination ${Math.round(baseline.okRps)} ok/s (loop p99 ${baseline.loopP99} ms); forwarding ${Math.round(sample.okRps)} ok/s (loop p99 ${sample.loopP99} ms, errors ${sample.errors}), ` +
          `${r.deliveredDuring} delivered in ${opts.seconds} s, backlog ${r.backlogAtEnd} at the end, ${r.eventsPerDelivery.toFixed(2)} events per delivery`,
      );
    } finally {
      await relay.stop();
      await destination.stop();
    }
  }
  const baseRps = median(rounds.map((r) => r.baseline.okRps));
  const relayRps = median(rounds.map((r) => r.relay.okRps));
  return {
    baselineRps: baseRps,
    relayRps,
    ratio: relayRps / baseRps,
    relayP99: median(rounds.map((r) => r.relay.p99)),
    baselineP99: median(rounds.map((r) => r.baseline.p99)),
    deliveredPerSecond: median(rounds.map((r) => r.deliveredDuring / opts.seconds)),
    backlogAtEnd: median(rounds.map((r) => r.backlogAtEnd)),
    eventsPerDelivery: rounds.at(-1)!.eventsPerDelivery,
    rounds,
  };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

/** Least-squares slope of the backlog over time, in events a second. */
function slope(points: { t: number; backlog: number }[]): number {
  if (points.length < 2) return 0;
  const mt = points.reduce((a, p) => a + p.t, 0) / points.length;
  const mb = points.reduce((a, p) => a + p.backlog, 0) / points.length;
  const num = points.reduce((a, p) => a + (p.t - mt) * (p.backlog - mb), 0);
  const den = points.reduce((a, p) => a + (p.t - mt) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

/** R2: a paced load at `rate` for `seconds`; the backlog every 5 s, then each event's way to the destination. */
export async function keepUp(work: string, opts: { rate: number; seconds: number; shape: RelayShape }) {
  const destination = await startDestination(work);
  const relay = await startRelay(work, destination.port, opts.shape);
  try {
    await pacedLoad(relay.port, PUSH_PATH, { rate: opts.rate, seconds: 2, tag: 'keep-warm' });
    const warmDeadline = Date.now() + 30_000;
    while (backlogOf(await forwardCounts(relay)) > 0 && Date.now() < warmDeadline) await sleep(200);
    const before = await received(destination);
    const samples: { t: number; backlog: number }[] = [];
    const started = performance.now();
    const sampler = setInterval(() => {
      const t = (performance.now() - started) / 1000;
      void forwardCounts(relay).then((c) => samples.push({ t, backlog: backlogOf(c) }), () => undefined);
    }, 5000);
    relay.child.send('loop-delay:reset');
    const pushed = await pacedLoad(relay.port, PUSH_PATH, { rate: opts.rate, seconds: opts.seconds, tag: 'keep' });
    clearInterval(sampler);
    const loopP99 = await loopDelay([relay.child]);
    const end = backlogOf(await forwardCounts(relay));
    samples.push({ t: pushed.seconds, backlog: end });
    // Let the last events arrive (bounded), then read when each one did.
    const deadline = Date.now() + 60_000;
    while ((await received(destination)).events - before.events < pushed.ok && Date.now() < deadline) await sleep(250);
    const after = await received(destination);
    const at = await arrivals(destination);
    const latencies: number[] = [];
    let missing = 0;
    for (const [mid, sent] of pushed.sentAt) {
      const arrived = at.get(mid);
      if (arrived === undefined) missing++;
      else latencies.push(arrived - sent);
    }
    latencies.sort((x, y) => x - y);
    const first = samples[0]?.backlog ?? 0;
    return {
      rate: opts.rate,
      seconds: Math.round(pushed.seconds),
      pushedOk: pushed.ok,
      pushErrors: pushed.errors,
      generatorBehind: pushed.behind,
      loopP99,
      backlog: { first, firstAtS: Math.round(samples[0]?.t ?? 0), end, max: Math.max(...samples.map((s) => s.backlog)), slopePerSecond: Math.round(slope(samples) * 10) / 10 },
      // Keeping up: the backlog at the end within one second of pushes of the one at the start.
      keepsUp: end - first <= opts.rate,
      latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? Number.NaN, measured: latencies.length, missing },
      eventsPerDelivery: (after.events - before.events) / Math.max(1, after.deliveries - before.deliveries),
    };
  } finally {
    await relay.stop();
    await destination.stop();
  }
}

/** R3: the backlog stored while the destination is down, then drained when it returns. */
export async function drain(work: string, opts: { events: number; shape: RelayShape; timeoutS: number }) {
  const a = await startBaseline(work);
  const base = await load(a.port, PUSH_PATH, { amount: opts.events, tag: 'drain-base' }).finally(() => a.stop());
  const destinationPort = await freePort();
  const relay = await startRelay(work, destinationPort, opts.shape);
  let destination: Served | undefined;
  try {
    await setPaused(relay, true);
    const down = await load(relay.port, PUSH_PATH, { amount: opts.events, tag: 'drain' });
    const backlog = backlogOf(await forwardCounts(relay));
    destination = await startDestination(work, destinationPort);
    await sleep(1000);
    const pid = relay.child.pid!;
    const rssBeforeKb = rssKb(pid);
    const anonBeforeKb = rssKb(pid, 'RssAnon');
    let rssPeakKb = rssBeforeKb;
    let anonPeakKb = anonBeforeKb;
    const rssPath: number[] = [];
    await setPaused(relay, false);
    const started = performance.now();
    let got = 0;
    while (got < backlog && performance.now() - started < opts.timeoutS * 1000) {
      await sleep(500);
      rssPeakKb = Math.max(rssPeakKb, rssKb(pid));
      anonPeakKb = Math.max(anonPeakKb, rssKb(pid, 'RssAnon'));
      got = (await received(destination)).events;
      // The RSS at each tenth of the backlog drained: a plateau (the heap's headroom) or a climb (a leak).
      while (rssPath.length < 10 && got >= ((rssPath.length + 1) / 10) * backlog) rssPath.push(Math.round(rssKb(pid) / 1024));
    }
    const seconds = (performance.now() - started) / 1000;
    const after = await received(destination);
    const counts = await forwardCounts(relay);
    return {
      events: opts.events,
      baselineRps: Math.round(base.okRps),
      downRps: Math.round(down.okRps),
      ratio: down.okRps / base.okRps,
      pushErrors: base.errors + down.errors,
      backlog,
      drained: got,
      drainSeconds: Math.round(seconds * 10) / 10,
      drainPerSecond: Math.round(got / seconds),
      configuredRate: opts.shape.rate ?? null,
      rssBeforeMb: Math.round(rssBeforeKb / 1024),
      rssPeakMb: Math.round(rssPeakKb / 1024),
      rssEndMb: Math.round(rssKb(pid) / 1024),
      anonBeforeMb: Math.round(anonBeforeKb / 1024),
      anonPeakMb: Math.round(anonPeakKb / 1024),
      rssPathMb: rssPath,
      eventsPerDelivery: after.events / Math.max(1, after.deliveries),
      counts,
    };
  } finally {
    await relay.stop();
    await destination?.stop();
  }
}
