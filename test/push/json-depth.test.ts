// How deep a body nests, counted on its text before it is parsed (push/json-depth.ts).
import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from '../../server/push/json-depth.js';

describe('nestsDeeperThan', () => {
  it('counts objects and arrays, not brackets inside strings or after escapes', () => {
    expect(nestsDeeperThan('[[[]]]', 3)).toBe(false);
    expect(nestsDeeperThan('[[[[]]]]', 3)).toBe(true);
    expect(nestsDeeperThan('{"a":"[[[[\\"[[[["}', 1)).toBe(false);
    expect(nestsDeeperThan('{"a":{"b":[1]}}', 2)).toBe(true);
  });
});
