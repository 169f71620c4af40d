// `npm run test:mutation`: Stryker on the core (stryker.config.mjs), then the scores checked file by file
// against scripts/mutation-score.mjs and recorded in test/mutation/score.json with a hash of each core
// file, so `npm test` can say which files changed since their score was measured.
//   node scripts/mutation.mjs [stryker options]   run, record (full runs only), exit 1 on a shortfall
//   node scripts/mutation.mjs status [--strict]     what the record says; --strict fails when a core file
//                                                   changed since, or a score is short (release check)
//   node scripts/mutation.mjs record R1.json R2.json  records the reports of runs on parts of the core
//                                                   (--mutate), each file from the last report naming it
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { core } from './mutation-core.mjs';
import { scoresOf, shortfalls } from './mutation-score.mjs';

const root = new URL('..', import.meta.url).pathname;
const recordFile = `${root}test/mutation/score.json`;
const reportFile = `${process.env.MUTATION_REPORT_DIR ?? `${root}reports/mutation`}/mutation.json`;
const hashOf = (file) => createHash('sha256').update(readFileSync(`${root}${file}`)).digest('hex').slice(0, 16);

function status(strict) {
  if (!existsSync(recordFile)) {
    console.log('mutation: no score recorded yet (npm run test:mutation)');
    return strict ? 1 : 0;
  }
  const record = JSON.parse(readFileSync(recordFile, 'utf8'));
  const changed = core.filter((f) => record.files[f]?.hash !== hashOf(f));
  const short = shortfalls(record);
  console.log(`mutation: recorded ${record.date.slice(0, 10)}: ${record.overall.score}% overall (${record.overall.killedScore}% killed only), lowest file ${Math.min(...Object.values(record.files).map((t) => t.score))}%`);
  if (short.length) console.log(`mutation: below the thresholds: ${short.join('; ')}`);
  if (changed.length) console.log(`mutation: changed since it was measured (run npm run test:mutation before a release): ${changed.join(', ')}`);
  return strict && (changed.length || short.length) ? 1 : 0;
}

/** Prints the scores, records them when every core file was mutated, and returns the exit code. */
function report(scores, minutes, how) {
  console.log(`\nmutation: ${scores.overall.score}% overall, ${scores.overall.killedScore}% killed only${minutes ? `, in ${minutes} min` : ''}`);
  for (const [file, t] of Object.entries(scores.files)) console.log(`  ${String(t.score).padStart(5)}%  ${file}  (killed ${t.killed}, timeout ${t.timeout}, survived ${t.survived}, no coverage ${t.noCoverage})`);
  const partial = core.some((f) => !scores.files[f]);
  if (partial) console.log('mutation: a run on part of the core is not recorded');
  else {
    const files = Object.fromEntries(core.map((f) => [f, { ...scores.files[f], hash: hashOf(f) }]));
    writeFileSync(recordFile, `${JSON.stringify({ date: new Date().toISOString(), how, minutes, overall: scores.overall, files }, null, 2)}\n`);
    console.log(`mutation: recorded in ${recordFile.slice(root.length)}`);
  }
  const short = shortfalls(scores);
  for (const s of short) console.error(`mutation: below the threshold: ${s}`);
  return short.length ? 1 : 0;
}

function run(args) {
  const started = Date.now();
  const stryker = spawnSync(process.execPath, [`${root}node_modules/@stryker-mutator/core/bin/stryker.js`, 'run', ...args], { stdio: 'inherit', cwd: root });
  if (!existsSync(reportFile) || statSync(reportFile).mtimeMs < started) return stryker.status || 1;
  const { files } = JSON.parse(readFileSync(reportFile, 'utf8'));
  if (staleIn(files)) return 1;
  return report(scoresOf({ files }), Math.round((Date.now() - started) / 6000) / 10, 'one run') || stryker.status || 0;
}

/** A report of another version of a file (edited during or since the run) says nothing about this one. */
function staleIn(files) {
  const stale = Object.keys(files).filter((f) => core.includes(f) && files[f].source !== readFileSync(`${root}${f}`, 'utf8'));
  if (stale.length) console.error(`mutation: the report is of other versions of ${stale.join(', ')}: run again`);
  return stale.length > 0;
}

function record(paths) {
  const files = {};
  for (const path of paths) Object.assign(files, JSON.parse(readFileSync(path, 'utf8')).files);
  if (staleIn(files)) return 1;
  return report(scoresOf({ files }), undefined, `${paths.length} runs on parts of the core, merged`);
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'status') process.exit(status(rest.includes('--strict')));
else if (command === 'record') process.exit(record(rest));
else process.exit(run(process.argv.slice(2)));
