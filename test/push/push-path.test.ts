// The push URL spelled once (server/push/push-path.ts): what each matcher built from it takes.
import { describe, expect, it } from 'vitest';
import { channelInPath, isPushPath, PUSH_PATH, PUSH_ROUTES, PUSH_SPEC_PATH, pushTarget, underPushPath } from '../../server/push/push-path.js';
import { loadBundledSpec } from '../../server/contract/spec.js';

describe('the push path', () => {
  it('is the spec path, in its Express and spec forms', () => {
    expect(PUSH_PATH).toBe('/apiaccess/api/instagram/message');
    expect(PUSH_ROUTES).toEqual([PUSH_PATH, `${PUSH_PATH}/:chanId`]);
    const paths = Object.keys(loadBundledSpec().paths);
    expect(paths).toContain(PUSH_PATH);
    expect(paths).toContain(PUSH_SPEC_PATH);
  });

  it('matches as Express routes it (a trailing slash allowed), and no deeper path', () => {
    for (const p of [PUSH_PATH, `${PUSH_PATH}/`, `${PUSH_PATH}/chan-a`, `${PUSH_PATH}/chan-a/`]) expect(isPushPath(p), p).toBe(true);
    for (const p of [`${PUSH_PATH}x`, `${PUSH_PATH}/a/b`, '/apiaccess/api/instagram', `/x${PUSH_PATH}`]) expect(isPushPath(p), p).toBe(false);
  });

  it('names the channel in the path, decoded when it can be', () => {
    expect(channelInPath(`${PUSH_PATH}/chan%2Da`)).toBe('chan-a');
    expect(channelInPath(`${PUSH_PATH}/bad%ZZ/`)).toBe('bad%ZZ');
    expect(channelInPath(PUSH_PATH)).toBeNull();
  });

  it('takes for the hot path exactly the contract paths', () => {
    expect(pushTarget(PUSH_PATH)).toBe('');
    expect(pushTarget(`${PUSH_PATH}/chan-a`)).toBe('chan-a');
    for (const p of [`${PUSH_PATH}/`, `${PUSH_PATH}/a/b`, `${PUSH_PATH}x`, '/inbox/messages']) expect(pushTarget(p), p).toBeUndefined();
  });

  it('counts anything under it as a push operation in the metrics', () => {
    expect(underPushPath(`${PUSH_PATH}/a/b`)).toBe(true);
    expect(underPushPath(`${PUSH_PATH}x`)).toBe(false);
  });
});
