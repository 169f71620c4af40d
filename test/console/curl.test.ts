// "Copy as curl" with a refused body holding control characters: the command must be inert when pasted
// into any terminal (no raw control character anywhere) and still send the body byte for byte.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Refusal } from '../../client/index.js';
import { curlFor, shellQuote } from '../../server/console/curl.js';
import { describe as describeItem } from '../../server/console/describe.js';

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const hostile = `{"a":"x\u0003y\u0015z\n\r\t\u001b[31mred\u0007 \u009b2J \u202egnp.exe \u2028 it's \\ $(id) \`id\` done\u007f"}`;

/** What bash makes of a quoted word (the command is meant for bash, zsh and the like). */
const bashValue = (quoted: string) => spawnSync('bash', ['-c', `printf %s ${quoted}`], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } }).stdout;

describe('Copy as curl', () => {
  it('quotes a string with control characters as $\'…\' with escapes, holding none raw, and bash reads it back exactly', () => {
    const quoted = shellQuote(hostile);
    expect(quoted).toMatch(/^\$'.*'$/s);
    expect(quoted).not.toMatch(CONTROL);
    expect(bashValue(quoted)).toBe(hostile);
  });

  it('keeps plain single quotes for a string without control characters', () => {
    expect(shellQuote(`it's $(x)`)).toBe(`'it'\\''s $(x)'`);
    expect(bashValue(shellQuote(`it's $(x) \\ "q"`))).toBe(`it's $(x) \\ "q"`);
  });

  it('gives a refused, unauthenticated body a command whose only newlines are its own line continuations', () => {
    const refusal: Refusal = {
      id: 1, at: '2026-11-25T08:00:00.000Z', method: 'POST', path: '/apiaccess/api/instagram/message/chan-a', status: 401, channel: 'chan-a',
      error: { resultMsg: 'no', code: 'missing_signature', requestId: 'r', errors: [] }, body: hostile, bodyTruncated: false, contentType: 'application/json\u0003',
    };
    const curl = curlFor(describeItem({ type: 'refused', refusal }), 'http://127.0.0.1:8080');
    const lines = curl.split(' \\\n  ');
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line).not.toMatch(CONTROL);
    expect(bashValue(lines[3]!.replace(/^--data-binary /, ''))).toBe(hostile);
  });
});
