// Running the cases: each step sent with fetch under the time budget, timed, judged; cases one after
// another (a redelivery must follow its delivery, and timings stay clean). `conformance()` hands out the
// cases one by one for a test runner; `runConformance()` runs them all and says whether the receiver
// could be reached at all.
import { VERSION } from '../version.js';
import { withQuery, type ReceiverTarget } from '../receiver-url.js';
import { allCases, DEFAULT_BUDGET_MS, selectCases, targetOf, type CaseSpec, type ConformanceOptions, type Group, type Profile, type Step } from './cases.js';
import { metaCases } from './meta-profile.js';
import { spec, TIMING_SPEC } from './spec.js';
import { summarize, type Summary } from './summary.js';
import { judge, statusMet, type Finding, type Outcome } from './verdict.js';
import { describeNetworkError } from '../network-error.js';

/** Sent with every request, so a receiver's logs tell conformance probes from Meta's deliveries. */
export const CHECK_USER_AGENT = `instagram-push-kit-check/${VERSION}`;

/** One request a case made. */
export interface RequestRecord {
  step: string;
  method: 'GET' | 'POST';
  /** The full URL requested (the verify token masked). */
  url: string;
  /** The answer's status; null when none came. */
  status: number | null;
  ms: number;
  /** Why no answer came: `timeout` (over the budget) or the network error. */
  error?: string;
}

export type Verdict = 'pass' | 'fail' | 'skip';

export interface CaseResult {
  id: string;
  group: Group;
  title: string;
  stores: boolean;
  verdict: Verdict;
  /** Why the case did not run. */
  skipped?: string;
  requests: RequestRecord[];
  findings: Finding[];
  /** Set when the receiver answered this case, then answered nothing more: the run stops after it. */
  stoppedAnswering?: boolean;
}

/** One conformance case, ready for a test runner: `it(c.id, () => c.assert())`. */
export interface ConformanceCase {
  readonly id: string;
  readonly group: Group;
  readonly title: string;
  readonly stores: boolean;
  /** Why the case cannot run with the options given (skip it), or undefined. */
  readonly skip?: string;
  /** Runs the case; never throws for a deviation, which is a finding. */
  run(): Promise<CaseResult>;
  /** Runs the case and throws a ConformanceError listing every finding when the receiver deviates. */
  assert(): Promise<void>;
}

/** A case that found deviations, for test runners. */
export class ConformanceError extends Error {
  constructor(readonly result: CaseResult) {
    super(`${result.id}: ${result.findings.length} deviation${result.findings.length === 1 ? '' : 's'} from the contract\n${result.findings.map(describeFinding).join('\n')}`);
    this.name = 'ConformanceError';
  }
}

/** A finding as a few lines: step and request, then expected, got, the spec location, and what else is wrong. */
export function describeFinding(f: Finding): string {
  return [
    `${f.step}: ${f.request}`,
    `  expected ${f.expected}`,
    `  got      ${f.got}`,
    ...(f.detail ? [`  detail   ${f.detail}`] : []),
    `  spec     ${f.spec}`,
    ...(f.also ?? []).map((a) => `  also     ${a}`),
    ...(f.hint ? [`  hint     ${f.hint}`] : []),
  ].join('\n');
}

interface Settings {
  target: ReceiverTarget;
  profile: Profile;
  budgetMs: number;
  waitForRestartMs: number;
  headers: Record<string, string>;
  fetch: typeof globalThis.fetch;
}

/** What the network said, in words with its code (network-error.ts): "connection refused (ECONNREFUSED)". */
const networkMessage = (err: unknown): string => describeNetworkError(err).text;

async function send(step: Step, settings: Settings): Promise<Outcome> {
  const signal = AbortSignal.timeout(settings.budgetMs);
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const response = await settings.fetch(step.url, {
      method: step.method,
      headers: { 'user-agent': CHECK_USER_AGENT, ...settings.headers, ...step.headers },
      body: step.body,
      // A redirect is an answer to judge, as Meta does not follow one either.
      redirect: 'manual',
      signal,
    });
    const body = await response.text();
    return { kind: 'answer', answer: { status: response.status, contentType: response.headers.get('content-type') ?? '', body }, ms: elapsed() };
  } catch (err) {
    if (signal.aborted) return { kind: 'timeout', ms: elapsed() };
    return { kind: 'network', ms: elapsed(), message: networkMessage(err) };
  }
}

/** A request any running receiver answers at once (a handshake with a token no channel has), storing nothing. */
function probeStep(target: ReceiverTarget): Step {
  const query = { 'hub.mode': 'subscribe', 'hub.verify_token': 'ig-push-check-probe', 'hub.challenge': '1' };
  return { name: 'still answering', method: 'GET', route: 'channel', url: withQuery(target.url, query), headers: {}, expect: { status: 401, describe: 'an answer', spec: TIMING_SPEC } };
}

/** The finding for a receiver that answered a case, then nothing more. */
function stoppedFinding(request: string, why: string): Finding {
  return {
    step: 'still answering',
    request,
    expected: 'the receiver to keep answering after it answered this case',
    got: `accepted, then stopped answering (${why})`,
    spec: TIMING_SPEC,
    hint: 'the receiver most likely crashed handling this delivery after answering it',
  };
}

async function runCase(c: CaseSpec, settings: Settings): Promise<CaseResult> {
  const result: CaseResult = { id: c.id, group: c.group, title: c.title, stores: c.stores, verdict: 'pass', requests: [], findings: [] };
  if (c.skip) return { ...result, verdict: 'skip', skipped: c.skip };
  let answeredBefore = false;
  let last: Outcome | undefined;
  for (const step of await c.steps()) {
    const outcome = await send(step, settings);
    last = outcome;
    const record: RequestRecord = { step: step.name, method: step.method, url: step.shown ?? step.url, status: outcome.kind === 'answer' ? outcome.answer.status : null, ms: outcome.ms };
    if (outcome.kind !== 'answer') record.error = outcome.kind === 'timeout' ? 'timeout' : outcome.message;
    result.requests.push(record);
    if (c.stores && answeredBefore && outcome.kind === 'network') {
      // It answered this case's delivery, and now refuses connections: it died of it.
      result.findings.push(stoppedFinding(`${step.method} ${step.url}`, outcome.message));
      result.stoppedAnswering = true;
      break;
    }
    answeredBefore ||= outcome.kind === 'answer';
    const findings = judge(step, outcome, settings.budgetMs);
    // One finding per cause: a redelivery answered like the delivery adds nothing to read.
    result.findings.push(...findings.filter((f) => !result.findings.some((seen) => seen.expected === f.expected && seen.got === f.got)));
    // The rest of a case (a redelivery, another route) stands on this step being accepted: after a wrong
    // status it would only repeat it. A right status with a body off the contract goes on, so the faults
    // that matter more (a refused redelivery, a crash) are not hidden behind it.
    if (outcome.kind !== 'answer' || !statusMet(step.expect, outcome.answer.status)) break;
  }
  // A receiver may answer a delivery and then die handling it: ask once more before the next case, so
  // the case that killed it is the one reported, even when it is the last case of the run.
  if (c.stores && !result.stoppedAnswering && last?.kind === 'answer') {
    const probe = probeStep(settings.target);
    const outcome = await send(probe, settings);
    if (outcome.kind !== 'answer') {
      const why = outcome.kind === 'timeout' ? `no answer within ${settings.budgetMs} ms` : outcome.message;
      result.requests.push({ step: probe.name, method: 'GET', url: probe.url, status: null, ms: outcome.ms, error: outcome.kind === 'timeout' ? 'timeout' : outcome.message });
      result.findings.push(stoppedFinding(`GET ${probe.url}`, why));
      result.stoppedAnswering = true;
    }
  }
  result.verdict = result.findings.length ? 'fail' : 'pass';
  return result;
}

function settingsOf(options: ConformanceOptions): Settings {
  const target = targetOf(options);
  const budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
  if (!Number.isInteger(budgetMs) || budgetMs < 1) throw new RangeError('budgetMs must be a whole number of milliseconds ≥ 1');
  const waitForRestartMs = options.waitForRestartMs ?? 0;
  if (!Number.isInteger(waitForRestartMs) || waitForRestartMs < 0) throw new RangeError('waitForRestartMs must be a whole number of milliseconds ≥ 0');
  const profile = options.profile ?? 'contract';
  if (profile !== 'contract' && profile !== 'meta') throw new RangeError(`unknown profile ${JSON.stringify(profile)}: use contract or meta`);
  return { target, profile, budgetMs, waitForRestartMs, headers: options.headers ?? {}, fetch: options.fetch ?? globalThis.fetch };
}

/**
 * The conformance cases for a receiver, one per behaviour the contract fixes, for a test runner:
 *
 *     for (const c of conformance({ url, channel: 'chan-a', secret, verifyToken }))
 *       it.skipIf(c.skip)(`${c.id}: ${c.title}`, () => c.assert());
 *
 * Throws for options that cannot work (a bad URL, an unknown case in `only`).
 */
export function conformance(options: ConformanceOptions): ConformanceCase[] {
  const settings = settingsOf(options);
  const planned = settings.profile === 'meta' ? metaCases((o) => allCases(o, settings.target), options) : allCases(options, settings.target);
  return selectCases(planned, options.only).map((c) => ({
    id: c.id,
    group: c.group,
    title: c.title,
    stores: c.stores,
    skip: c.skip,
    run: () => runCase(c, settings),
    async assert() {
      const result = await runCase(c, settings);
      if (result.verdict === 'fail') throw new ConformanceError(result);
    },
  }));
}

export interface ConformanceReport {
  /** Where deliveries and the handshake went (the URL given, resolved). */
  target: string;
  /** The URL given, and the form it was read as. */
  url: { given: string; form: ReceiverTarget['form']; accountUrl?: string };
  /** `info.version` of the spec the answers were held to. */
  specVersion: string;
  /** What judged the answers: the whole contract, or Meta's rules (see meta-profile.ts). */
  profile: Profile;
  startedAt: string;
  cases: CaseResult[];
  summary: Summary;
  /** Set when no request of the run got an answer (no connection, or none within the budget): the run stopped at the first case. */
  unreachable?: string;
  /** The case after which the receiver answered nothing more (and did not come back in time): the cases after it were skipped. */
  stoppedAnsweringAfter?: string;
  /** Each wait for a receiver that stopped answering, with --wait-for-restart. */
  restarts?: RestartWait[];
}

/** A wait for a receiver that stopped answering after a case: whether it answered the handshake again, and after how long. */
export interface RestartWait {
  /** The case after which the receiver stopped answering. */
  after: string;
  answered: boolean;
  waitedMs: number;
}

/** The result of a case that did not run, with its reason. */
function skippedResult(c: ConformanceCase, reason: string): CaseResult {
  return { id: c.id, group: c.group, title: c.title, stores: c.stores, verdict: 'skip', skipped: reason, requests: [], findings: [] };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls the handshake probe until the receiver answers or `waitMs` has passed. */
async function waitForAnswer(settings: Settings, waitMs: number): Promise<{ answered: boolean; waitedMs: number }> {
  const started = performance.now();
  const waited = () => Math.round(performance.now() - started);
  const probe = probeStep(settings.target);
  while (waited() < waitMs) {
    const outcome = await send(probe, { ...settings, budgetMs: Math.max(1, Math.min(settings.budgetMs, waitMs - waited())) });
    if (outcome.kind === 'answer') return { answered: true, waitedMs: waited() };
    await sleep(Math.min(200, Math.max(0, waitMs - waited())));
  }
  return { answered: false, waitedMs: waited() };
}

/**
 * Runs every case (or those `only` selects), one after another, calling `onResult` as each ends. When
 * the first case that sends anything gets no answer at all (no connection, or none within the budget),
 * the run stops there and `unreachable` says why. When the receiver stops answering after a case, it is
 * given `waitForRestartMs` to answer the handshake again (`onWait` says how that went): if it does, the
 * run goes on; if not, every case left is reported skipped with the reason, so the totals always add up
 * to the cases planned.
 */
export async function runConformance(options: ConformanceOptions, hooks: { onResult?: (result: CaseResult) => void; onWait?: (wait: RestartWait) => void } = {}): Promise<ConformanceReport> {
  const settings = settingsOf(options);
  const cases = conformance(options);
  const startedAt = new Date();
  const started = performance.now();
  const results: CaseResult[] = [];
  const restarts: RestartWait[] = [];
  let unreachable: string | undefined;
  let stoppedAnsweringAfter: string | undefined;
  let answered = false;
  const record = (result: CaseResult) => {
    results.push(result);
    hooks.onResult?.(result);
  };
  for (const [i, c] of cases.entries()) {
    if (stoppedAnsweringAfter) {
      record(skippedResult(c, `not run: the receiver stopped answering after ${stoppedAnsweringAfter}${settings.waitForRestartMs ? ` and did not answer again within ${settings.waitForRestartMs} ms` : ''}`));
      continue;
    }
    const result = await c.run();
    const unanswered = result.requests.filter((r) => r.status === null);
    if (!answered && result.requests.length > 0 && unanswered.length === result.requests.length) {
      const first = unanswered[0]!;
      unreachable = `no answer from ${settings.target.url}: ${first.error === 'timeout' ? `none within ${settings.budgetMs} ms` : first.error}`;
      break;
    }
    answered ||= result.requests.some((r) => r.status !== null);
    record(result);
    if (result.stoppedAnswering && i < cases.length - 1) {
      const wait = settings.waitForRestartMs > 0 ? { after: result.id, ...(await waitForAnswer(settings, settings.waitForRestartMs)) } : undefined;
      if (wait) {
        restarts.push(wait);
        hooks.onWait?.(wait);
      }
      if (!wait?.answered) stoppedAnsweringAfter = result.id;
    } else if (result.stoppedAnswering) {
      stoppedAnsweringAfter = result.id;
    }
  }
  return {
    target: settings.target.url,
    url: { given: settings.target.given, form: settings.target.form, ...(settings.target.accountUrl ? { accountUrl: settings.target.accountUrl } : {}) },
    specVersion: String(spec.info?.version ?? ''),
    profile: settings.profile,
    startedAt: startedAt.toISOString(),
    cases: results,
    summary: summarize(results, settings.budgetMs, Math.round(performance.now() - started)),
    ...(unreachable ? { unreachable } : {}),
    ...(stoppedAnsweringAfter ? { stoppedAnsweringAfter } : {}),
    ...(restarts.length ? { restarts } : {}),
  };
}
