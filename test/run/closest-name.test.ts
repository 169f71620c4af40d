// The "did you mean" behind configuration messages (closest-name.ts).
import { describe, expect, it } from 'vitest';
import { closestName, editDistance } from '../../server/run/closest-name.js';

describe('closestName', () => {
  it('finds the allowed name one typo away: a missing, extra, wrong or swapped letter, or another case', () => {
    const allowed = ['id', 'accountId', 'appSecret', 'verifyToken', 'enabled'];
    expect(closestName('appSecert', allowed)).toBe('appSecret');
    expect(closestName('verifytoken', allowed)).toBe('verifyToken');
    expect(closestName('enabeld', allowed)).toBe('enabled');
    expect(closestName('acountId', allowed)).toBe('accountId');
    expect(closestName('idd', allowed)).toBe('id');
  });

  it('takes the first of equally close names, and has none to offer from an empty list', () => {
    expect(closestName('ab', ['ax', 'ay'])).toBe('ax');
    expect(closestName('x', [])).toBeUndefined();
  });

  it('counts edits', () => {
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('Same', 'same')).toBe(0);
  });
});
