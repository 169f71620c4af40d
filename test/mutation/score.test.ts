// How `npm run test:mutation` scores a Stryker report: the release gate rests on these numbers.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without declarations
import { mergeStatic, MIN_KILLED_SCORE, MIN_SCORE, scoresOf, shortfalls, staticGroups, staticRanges, tally } from '../../scripts/mutation-score.mjs';

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

  describe('static mutants, measured in a second step', () => {
    const at = (line: number, column: number, endColumn: number) => ({ start: { line, column }, end: { line, column: endColumn } });
    const first = () => ({
      'a.ts': {
        mutants: [
          { id: '1', mutatorName: 'StringLiteral', replacement: '""', location: at(3, 15, 22), status: 'Ignored', static: true },
          { id: '2', mutatorName: 'ObjectLiteral', replacement: '{}', location: at(4, 1, 30), status: 'Ignored', static: true },
          { id: '3', mutatorName: 'StringLiteral', replacement: '""', location: at(9, 5, 9), status: 'Killed', static: false },
          { id: '4', mutatorName: 'BlockStatement', replacement: '{}', location: at(12, 1, 2), status: 'Ignored', static: false, statusReason: 'disabled' },
          // Run against its covering tests after its module loaded: never active where it runs.
          { id: '5', mutatorName: 'BooleanLiteral', replacement: 'false', location: at(14, 3, 7), status: 'Survived', static: true },
          { id: '6', mutatorName: 'BooleanLiteral', replacement: 'false', location: at(15, 3, 7), status: 'Killed', static: true },
        ],
      },
    });

    it('asks for the ignored static mutants and the static survivors only, each at its exact place in Stryker\'s range grammar (columns from 0)', () => {
      expect(staticRanges(first())).toEqual(['a.ts:3:14-3:21', 'a.ts:4:0-4:29', 'a.ts:14:2-14:6']);
    });

    it('takes the second step\'s verdicts in their place and counts them apart as well as in the file\'s score', () => {
      const files = first();
      mergeStatic(files, {
        'a.ts': {
          mutants: [
            { id: '77', mutatorName: 'StringLiteral', replacement: '""', location: at(3, 15, 22), status: 'Killed', static: true },
            { id: '78', mutatorName: 'ObjectLiteral', replacement: '{}', location: at(4, 1, 30), status: 'Survived', static: true },
            { id: '79', mutatorName: 'BooleanLiteral', replacement: 'false', location: at(14, 3, 7), status: 'Killed', static: true },
          ],
        },
      });
      expect(files['a.ts'].mutants.map((m) => [m.id, m.status])).toEqual([['1', 'Killed'], ['2', 'Survived'], ['3', 'Killed'], ['4', 'Ignored'], ['5', 'Killed'], ['6', 'Killed']]);
      const s = scoresOf({ files });
      expect(s.files['a.ts']).toMatchObject({ killed: 4, survived: 1, excluded: 1, score: 80 });
      expect(s.static).toMatchObject({ killed: 3, survived: 1, score: 75 });
      expect(s.staticFiles['a.ts'].score).toBe(75);
    });

    it('groups the ranges by the quick suites of their files, one Stryker run per set; a file without its own suites runs against all', () => {
      const files = { ...first(), 'b.ts': { mutants: [{ ...first()['a.ts'].mutants[0] }] }, 'c.ts': first()['a.ts'], 'd.ts': { mutants: [] } };
      expect(staticGroups(files, { 'a.ts': ['t/a.test.ts'], 'b.ts': ['t/a.test.ts'], 'd.ts': ['t/d.test.ts'] })).toEqual([
        { suites: ['t/a.test.ts'], ranges: ['a.ts:3:14-3:21', 'a.ts:4:0-4:29', 'a.ts:14:2-14:6', 'b.ts:3:14-3:21'] },
        { suites: [], ranges: ['c.ts:3:14-3:21', 'c.ts:4:0-4:29', 'c.ts:14:2-14:6'] },
      ]);
    });

    it('merges the runs one after another: a file keeps the verdicts of the run that measured it', () => {
      const files = { 'a.ts': first()['a.ts'], 'b.ts': first()['a.ts'] };
      const verdict = (status: string) => ({ mutants: [{ id: '9', mutatorName: 'StringLiteral', replacement: '""', location: at(3, 15, 22), status, static: true }] });
      mergeStatic(files, { 'a.ts': verdict('Killed') });
      mergeStatic(files, { 'b.ts': verdict('Survived') });
      expect(files['a.ts'].mutants[0]?.status).toBe('Killed');
      expect(files['b.ts'].mutants[0]?.status).toBe('Survived');
    });

    it('leaves an ignored static mutant the second step did not reach out of the score, and a survivor it did not reach with its first verdict', () => {
      const files = first();
      mergeStatic(files, {});
      expect(scoresOf({ files }).static).toMatchObject({ killed: 1, survived: 1, excluded: 2 });
    });
  });
});

describe('the mutation core and its parts', () => {
  it('puts every core file, each an existing source file, in exactly one part', async () => {
    // @ts-expect-error: a plain .mjs script without declarations
    const { core, parts } = (await import('../../scripts/mutation-core.mjs')) as { core: string[]; parts: Record<string, string[]> };
    const inParts = Object.values(parts).flat();
    expect(new Set(inParts).size).toBe(inParts.length);
    expect([...inParts].sort()).toEqual([...core].sort());
    for (const file of core) expect(existsSync(new URL(`../../${file}`, import.meta.url)), file).toBe(true);
  });

  it('gives a core file\'s static mutants only quick suites to run against, each of them a suite of the static step', async () => {
    // @ts-expect-error: a plain .mjs script without declarations
    const { core, staticSuitesOf } = (await import('../../scripts/mutation-core.mjs')) as { core: string[]; staticSuitesOf: Record<string, string[]> };
    const { staticSuites } = await import('../../vitest.static.config.js');
    for (const [file, suites] of Object.entries(staticSuitesOf)) {
      expect(core, file).toContain(file);
      expect(suites.length, file).toBeGreaterThan(0);
      for (const suite of suites) expect(staticSuites, `${file}: ${suite}`).toContain(suite);
    }
  });
});
