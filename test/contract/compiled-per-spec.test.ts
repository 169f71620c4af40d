// compiledPerSpec: the push validators and the inbox item check are compiled once per distinct spec and
// shared by every app the process makes (the suites start hundreds of servers).
import { describe, expect, it } from 'vitest';
import { compiledPerSpec, MAX_SPECS } from '../../server/contract/compiled-per-spec.js';
import { loadBundledSpec, type OpenApiDocument } from '../../server/contract/spec.js';
import { compilePushValidators } from '../../server/push/push-validator.js';

const counting = () => {
  const compiled: string[] = [];
  const compile = compiledPerSpec((spec: OpenApiDocument) => {
    compiled.push(String((spec as { info?: { title?: string } }).info?.title));
    return { of: (spec as { info?: { title?: string } }).info?.title };
  });
  return { compiled, compile };
};
const spec = (title: string) => ({ openapi: '3.1.0', info: { title, version: '1' }, paths: {} }) as unknown as OpenApiDocument;

describe('compiledPerSpec', () => {
  it('compiles a spec once, however many objects carry the same content', () => {
    const { compiled, compile } = counting();
    const first = compile(spec('a'));
    expect(compile(spec('a'))).toBe(first);
    expect(compile(JSON.parse(JSON.stringify(spec('a'))))).toBe(first);
    expect(compiled).toEqual(['a']);
  });

  it('compiles each different spec on its own', () => {
    const { compiled, compile } = counting();
    expect(compile(spec('a'))).toEqual({ of: 'a' });
    expect(compile(spec('b'))).toEqual({ of: 'b' });
    expect(compiled).toEqual(['a', 'b']);
  });

  it(`keeps at most ${MAX_SPECS} specs, dropping the least recently used`, () => {
    const { compiled, compile } = counting();
    const titles = Array.from({ length: MAX_SPECS }, (_, i) => `s${i}`);
    for (const t of titles) compile(spec(t));
    compile(spec('s0')); // used again: s1 is now the oldest
    compile(spec('new'));
    compile(spec('s0'));
    compile(spec('s1'));
    expect(compiled).toEqual([...titles, 'new', 's1']);
  });

  it('keeps no result of a compile that threw, so the next call compiles again', () => {
    let calls = 0;
    const compile = compiledPerSpec(() => {
      if (++calls === 1) throw new Error('bad spec');
      return calls;
    });
    expect(() => compile(spec('a'))).toThrow('bad spec');
    expect(compile(spec('a'))).toBe(2);
    expect(compile(spec('a'))).toBe(2);
  });

  it('shares push validators that still judge each body on its own (no state kept between calls)', () => {
    const validators = compiledPerSpec(compilePushValidators);
    const one = validators(loadBundledSpec());
    const two = validators(loadBundledSpec());
    expect(two).toBe(one);
    const bad = { object: 'instagram', entry: [{ id: '1', time: 'soon' }] };
    const good = { object: 'instagram', entry: [{ id: '17841400000000000', time: 1732519200123, messaging: [{ sender: { id: '1' }, recipient: { id: '17841400000000000' }, timestamp: 1732519199876, message: { mid: 'm', text: 'hi' } }] }] };
    expect(one.body(bad)).toEqual(expect.arrayContaining([expect.objectContaining({ path: '/body/entry/0/time' })]));
    expect(two.body(good)).toBeNull();
    expect(one.body(bad)).toEqual(two.body(bad));
  });
});
