// Numbers JSON.parse turns into ±Infinity are found wherever they sit, however they are written.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstNonFinite, nonFiniteDetail } from '../../server/push/finite-numbers.js';

const check = (text: string) => firstNonFinite(JSON.parse(text));

describe('firstNonFinite', () => {
  it('names the path of a number that overflows, positive or negative', () => {
    expect(check('{"entry":[{"id":"1","time":1e400}]}')).toBe('/entry/0/time');
    expect(check('{"entry":[{"time":1},{"time":-1e400}]}')).toBe('/entry/1/time');
    expect(check('{"entry":[{"messaging":[{"timestamp":1E+400}]}]}')).toBe('/entry/0/messaging/0/timestamp');
    expect(check('1e400')).toBe('');
  });

  it('finds one under unknown keys and inside arrays', () => {
    expect(check('{"entry":[{"messaging":[{"x_meta":{"deep":[0,1,[2,1e999]]}}]}]}')).toBe('/entry/0/messaging/0/x_meta/deep/2/1');
    expect(check('{"unknown":{"a/b":{"c~d":-1e400}}}')).toBe('/unknown/a~1b/c~0d');
  });

  it('finds one written without an exponent (309 digits) or with a long mantissa and a short exponent', () => {
    expect(check(`{"n":${'2'.padEnd(309, '0')}}`)).toBe('/n');
    expect(check(`{"n":1${'0'.repeat(250)}e60}`)).toBe('/n');
    expect(check(`{"n":2${'0'.repeat(209)}e99}`)).toBe('/n');
    expect(check(`{"n":1${'0'.repeat(209)}e99}`)).toBeNull();
    expect(check('{"n":1.7976931348623159e308}')).toBe('/n');
  });

  it('lets every finite number through, however it is written', () => {
    for (const n of ['-0', '5e-324', '1e-400', '9007199254740993', '1E3', '1e308', '1.7976931348623157e+308', '1.7976931348623158e308', `1${'0'.repeat(308)}`, `0.${'0'.repeat(400)}1e400`, '1e+099']) {
      expect(check(`{"entry":[{"time":${n}}],"x":[${n}]}`), n).toBeNull();
    }
  });

  it('ignores strings that only look like overflowing numbers', () => {
    expect(check('{"message":{"text":"1e400 and -1e400 and 1E999"},"mid":"9e9999"}')).toBeNull();
    expect(check(`{"text":"${'9'.repeat(400)}"}`)).toBeNull();
  });

  it('finds the first overflowing literal, whatever its digits and exponent (property)', () => {
    const literal = fc
      .record({
        sign: fc.constantFrom('', '-'),
        // Digit counts and exponents spread around where a double overflows (about 1.8e308).
        int: fc.oneof(fc.constant('0'), fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 400 })).map(([d, r, n]) => `${d}${String(r).repeat(n)}`)),
        frac: fc.option(fc.stringMatching(/^\d{1,20}$/), { nil: undefined }),
        exp: fc.option(
          fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.constantFrom('', '0'), fc.oneof(fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 9999 }))).map(([e, s, z, n]) => `${e}${s}${z}${n}`),
          { nil: undefined },
        ),
      })
      .map(({ sign, int, frac, exp }) => `${sign}${int}${frac === undefined ? '' : `.${frac}`}${exp ?? ''}`);
    fc.assert(
      fc.property(fc.array(literal, { minLength: 1, maxLength: 4 }), (literals) => {
        const first = literals.findIndex((l) => !Number.isFinite(Number(l)));
        expect(check(`{"a":[${literals.join(',')}]}`)).toBe(first < 0 ? null : `/a/${first}`);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('firstNonFinite on values that did not come from JSON', () => {
  it('walks any value, NaN included', () => {
    expect(firstNonFinite({ entryTime: Infinity })).toBe('/entryTime');
    expect(firstNonFinite({ event: { x: [1, NaN] } })).toBe('/event/x/1');
    expect(firstNonFinite({ a: null, b: 'Infinity', c: [true, -0, Number.MAX_VALUE] })).toBeNull();
  });
});

describe('nonFiniteDetail', () => {
  it('names the path under /body, as a schema violation does', () => {
    expect(nonFiniteDetail('/entry/0/time')).toEqual({ path: '/body/entry/0/time', message: 'must be a finite number' });
  });
});
