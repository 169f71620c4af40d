// How `npm run test:mutation` scores a Stryker report: the release gate rests on these numbers.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without declarations
import { MIN_KILLED_SCORE, MIN_SCORE, scoresOf, shortfalls, tally } from '../../scripts/mutation-score.mjs';

const mutants = (counts: Record<string, number>) => Object.entries(counts).flatMap(([status, n]) => Array.from({ length: n }, () => ({ status })));

describe('mutation score', () => {
  it('counts killed and timed-out mutants as detected, survivors and uncovered ones as not, and leaves errors and ignored ones out', () => {
    const t = tally(mutants({ Killed: 15, Timeout: 2, Survived: 2, NoCoverage: 1, CompileError: 7, RuntimeError: 1, Ignored: 3 }));
    expect(t).toEqual({ killed: 15, timeout: 2, survived: 2, noCoverage: 1, excluded: 11, score: 85, killedScore: 75 });
  });

  it('scores each file and all files together', () => {
    const s = scoresOf({ files: { 'a.ts': { mutants: mutants({ Killed: 9, Survived: 1 }) }, 'b.ts': { mutants: mutants({ Killed: 1, NoCoverage: 1 }) } } });
    expect(s.files['a.ts'].score).toBe(90);
    expect(s.files['b.ts'].score).toBe(50);
    expect(s.overall.score).toBeCloseTo(83.3, 1);
  });

  it('names every file under the threshold even when the overall score is above it, and the killed-only shortfall', () => {
    const files = { 'a.ts': { mutants: mutants({ Killed: 70, Timeout: 25, Survived: 5 }) }, 'b.ts': { mutants: mutants({ Killed: 8, Survived: 2 }) } };
    // a.ts 95%, b.ts 80%; together 103 of 110 detected (93.6%) but only 78 killed (70.9%).
    expect(shortfalls(scoresOf({ files }))).toEqual([`b.ts: 80% < ${MIN_SCORE}%`, `overall, killed only: 70.9% < ${MIN_KILLED_SCORE}%`]);
  });

  it('passes a report where every file meets the thresholds', () => {
    expect(shortfalls(scoresOf({ files: { 'a.ts': { mutants: mutants({ Killed: 17, Survived: 3 }) } } }))).toEqual([]);
  });
});
