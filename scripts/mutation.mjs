// `npm run test:mutation`: Stryker on the core (stryker.config.mjs), then the scores checked file by file
// against scripts/mutation-score.mjs and recorded in test/mutation/score.json with a hash of each core
// file, so `npm test` can say which files changed since their score was measured.
// Two steps: Stryker as configured (static mutants left out, each would rerun every test), then the
// static mutants it left out, at their exact places, against their files' quick suites (stryker.static.config.mjs,
// mutation-core.mjs#staticSuitesOf);
// their verdicts are merged into the first report and counted apart as well.
//   node scripts/mutation.mjs [stryker options]   run, record (full runs only), exit 1 on a shortfall
//   node scripts/mutation.mjs parts [name …]      measures the parts of the core (mutation-core.mjs) not
//                                                   yet measured at their current source, one at a time,
//                                                   each kept in reports/mutation-parts/<name>/, and
//                                                   records once every part is current: a whole run is
//                                                   longer than a working session, so it can be resumed;
//                                                   --again measures the parts named even if current
//                                                   (after tests were added: only sources are compared);
//                                                   --static runs their static step again on the first
//                                                   step's report
//   node scripts/mutation.mjs status [--strict]     what the record says; --strict fails when a core file
//                                                   changed since, or a score is short (release check)
//   node scripts/mutation.mjs record R1.json R2.json [--static S1.json …]  records the reports of runs on
//                                                   parts of the core (--mutate), each file from the last
//                                                   report naming it, with their static steps' verdicts
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { core, parts, staticSuitesOf } from './mutation-core.mjs';
import { mergeStatic, scoresOf, shortfalls, staticGroups } from './mutation-score.mjs';

const root = new URL('..', import.meta.url).pathname;
const recordFile = `${root}test/mutation/score.json`;
const partsDir = `${root}reports/mutation-parts`;
const hashOf = (file) => createHash('sha256').update(readFileSync(`${root}${file}`)).digest('hex').slice(0, 16);

function status(strict) {
  if (!existsSync(recordFile)) {
    console.log('mutation: no score recorded yet (npm run test:mutation)');
    return strict ? 1 : 0;
  }
  const record = JSON.parse(readFileSync(recordFile, 'utf8'));
  const changed = core.filter((f) => record.files[f]?.hash !== hashOf(f));
  const short = shortfalls(record);
  const statics = record.static ? `; static mutants ${record.static.score}% of ${staticCount(record.static)}` : '; static mutants not measured';
  console.log(`mutation: recorded ${record.date.slice(0, 10)}: ${record.overall.score}% overall (${record.overall.killedScore}% killed only), lowest file ${Math.min(...Object.values(record.files).map((t) => t.score))}%${statics}`);
  if (short.length) console.log(`mutation: below the thresholds: ${short.join('; ')}`);
  if (changed.length) console.log(`mutation: changed since it was measured (run npm run test:mutation, or node scripts/mutation.mjs parts, before a release): ${changed.join(', ')}`);
  const measured = Object.keys(parts).filter(isCurrent);
  if (changed.length && measured.length) console.log(`mutation: parts measured since at their current source (reports/mutation-parts/): ${measured.join(', ')}`);
  return strict && (changed.length || short.length) ? 1 : 0;
}

const staticCount = (t) => t.killed + t.timeout + t.survived + t.noCoverage;
const line = (t) => `killed ${t.killed}, timeout ${t.timeout}, survived ${t.survived}, no coverage ${t.noCoverage}`;

/** Prints the scores, records them when every core file was mutated, and returns the exit code. */
function report(scores, minutes, how) {
  console.log(`\nmutation: ${scores.overall.score}% overall, ${scores.overall.killedScore}% killed only${minutes ? `, in ${minutes} min` : ''}`);
  for (const [file, t] of Object.entries(scores.files)) {
    const statics = scores.staticFiles[file];
    console.log(`  ${String(t.score).padStart(5)}%  ${file}  (${line(t)}${statics && staticCount(statics) ? `; of them static: ${staticCount(statics)} at ${statics.score}%` : ''})`);
  }
  console.log(`  static mutants: ${staticCount(scores.static)} scored, ${scores.static.score}% (${line(scores.static)}), ${scores.static.excluded} not scored`);
  const partial = core.some((f) => !scores.files[f]);
  if (partial) console.log('mutation: a run on part of the core is not recorded');
  else {
    const files = Object.fromEntries(core.map((f) => [f, { ...scores.files[f], static: scores.staticFiles[f], hash: hashOf(f) }]));
    writeFileSync(recordFile, `${JSON.stringify({ date: new Date().toISOString(), how, minutes, overall: scores.overall, static: scores.static, files }, null, 2)}\n`);
    console.log(`mutation: recorded in ${recordFile.slice(root.length)}`);
  }
  const short = shortfalls(scores);
  for (const s of short) console.error(`mutation: below the threshold: ${s}`);
  return short.length ? 1 : 0;
}

function stryker(args, env) {
  return spawnSync(process.execPath, [`${root}node_modules/@stryker-mutator/core/bin/stryker.js`, 'run', ...args], { stdio: 'inherit', cwd: root, env });
}

/** The report Stryker wrote since `started`, or undefined. */
function reportSince(file, started) {
  return existsSync(file) && statSync(file).mtimeMs >= started ? JSON.parse(readFileSync(file, 'utf8')).files : undefined;
}

/**
 * Both steps, with their reports under `dir`: Stryker as configured, then the static mutants it left
 * out or could not judge (stryker.static.config.mjs), merged into `dir/merged.json`. Returns that, or an
 * exit code. `mutated`: the files measured, the only ones kept. `staticOnly` takes the first step's
 * report already in `dir` and runs the second step again.
 */
function measure(args, dir, mutated, staticOnly = false) {
  const env = { ...process.env, MUTATION_REPORT_DIR: dir };
  const started = Date.now();
  const firstReport = `${dir}/mutation.json`;
  let firstMinutes;
  if (staticOnly) {
    if (!existsSync(firstReport)) return 1;
    // The first step's own time: from the previous measure, less its static step.
    const previous = JSON.parse(readFileSync(`${dir}/merged.json`, 'utf8'));
    firstMinutes = previous.firstMinutes ?? previous.minutes;
  }
  const first = staticOnly ? { status: 0 } : stryker(args, env);
  const reported = reportSince(firstReport, staticOnly ? 0 : started);
  if (!reported) return first.status || 1;
  // A part's report keeps its own files: a first-step report from before the parts were split holds others.
  const files = Object.fromEntries(Object.entries(reported).filter(([file]) => mutated.includes(file)));
  if (staleIn(files)) return 1;
  const minutesSince = (at) => (Date.now() - at) / 60_000;
  firstMinutes ??= minutesSince(started);
  const staticStarted = Date.now();
  // One Stryker run per set of quick suites (mutation-core.mjs#staticSuitesOf), each reporting apart.
  const groups = staticGroups(files, staticSuitesOf);
  const count = groups.reduce((sum, g) => sum + g.ranges.length, 0);
  if (count) console.log(`\nmutation: ${count} static mutants left out or not judged; running them against their files' quick suites (stryker.static.config.mjs), in ${groups.length} runs`);
  for (const [i, { suites, ranges }] of groups.entries()) {
    const reportDir = `${dir}/static/${i}`;
    const secondStarted = Date.now();
    const second = stryker([`${root}stryker.static.config.mjs`, '--mutate', ranges.join(',')], {
      ...env,
      MUTATION_STATIC_REPORT_DIR: reportDir,
      MUTATION_STATIC_SUITES: suites.join(','),
    });
    const statics = reportSince(`${reportDir}/mutation.json`, secondStarted);
    if (!statics) return second.status || 1;
    mergeStatic(files, statics);
  }
  const tenths = (minutes) => Math.round(minutes * 10) / 10;
  const merged = { minutes: tenths(firstMinutes + minutesSince(staticStarted)), firstMinutes: tenths(firstMinutes), files };
  writeFileSync(`${dir}/merged.json`, JSON.stringify(merged));
  return merged;
}

function run(args) {
  const merged = measure(args, process.env.MUTATION_REPORT_DIR ?? `${root}reports/mutation`, core);
  return typeof merged === 'number' ? merged : report(scoresOf(merged), merged.minutes, 'one run');
}

const mergedOf = (name) => {
  const file = `${partsDir}/${name}/merged.json`;
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
};

/** A part measured at the current source of each of its files. */
const isCurrent = (name) => parts[name].every((f) => mergedOf(name)?.files[f]?.source === readFileSync(`${root}${f}`, 'utf8'));

function runParts(args) {
  const again = args.includes('--again');
  const staticOnly = args.includes('--static');
  const names = args.filter((a) => a !== '--again' && a !== '--static');
  const unknown = names.filter((n) => !parts[n]);
  if (unknown.length) {
    console.error(`mutation: no part named ${unknown.join(', ')} (the parts: ${Object.keys(parts).join(', ')})`);
    return 2;
  }
  for (const name of names.length ? names : Object.keys(parts)) {
    if (!again && !staticOnly && isCurrent(name)) {
      console.log(`mutation: part ${name} is measured at its current source`);
      continue;
    }
    console.log(`\nmutation: part ${name}: ${parts[name].join(', ')}`);
    const merged = measure(['--mutate', parts[name].join(',')], `${partsDir}/${name}`, parts[name], staticOnly);
    if (typeof merged === 'number') return merged;
    console.log(`mutation: part ${name} measured in ${merged.minutes} min`);
  }
  const missing = Object.keys(parts).filter((n) => !isCurrent(n));
  if (missing.length) {
    console.log(`mutation: still to measure: ${missing.join(', ')} (node scripts/mutation.mjs parts); nothing recorded yet`);
    return 0;
  }
  const all = Object.keys(parts).map(mergedOf);
  const minutes = Math.round(all.reduce((sum, m) => sum + m.minutes, 0) * 10) / 10;
  return report(scoresOf({ files: Object.assign({}, ...all.map((m) => m.files)) }), minutes, `${all.length} parts, each in one run, merged`);
}

/** A report of another version of a file (edited during or since the run) says nothing about this one. */
function staleIn(files) {
  const stale = Object.keys(files).filter((f) => core.includes(f) && files[f].source !== readFileSync(`${root}${f}`, 'utf8'));
  if (stale.length) console.error(`mutation: the report is of other versions of ${stale.join(', ')}: run again`);
  return stale.length > 0;
}

/** `R1.json R2.json … [--static S1.json …]`: reports of runs on parts, then reports of their static steps. */
function record(args) {
  const at = args.indexOf('--static');
  const [paths, staticPaths] = at < 0 ? [args, []] : [args.slice(0, at), args.slice(at + 1)];
  const files = {};
  for (const path of paths) Object.assign(files, JSON.parse(readFileSync(path, 'utf8')).files);
  for (const path of staticPaths) mergeStatic(files, JSON.parse(readFileSync(path, 'utf8')).files);
  if (staleIn(files)) return 1;
  return report(scoresOf({ files }), undefined, `${paths.length} runs on parts of the core, merged`);
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'status') process.exit(status(rest.includes('--strict')));
else if (command === 'record') process.exit(record(rest));
else if (command === 'parts') process.exit(runParts(rest));
else process.exit(run(process.argv.slice(2)));
