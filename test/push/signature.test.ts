// The X-Hub-Signature-256 check (push/signature.ts) on its own; signature-edges.test.ts takes it over HTTP.
import { describe, expect, it } from 'vitest';
import { expectedSignature, verifySignature } from '../../server/push/signature.js';

describe('signatures', () => {
  const body = new TextEncoder().encode('{"a":1}');
  it('accepts the HMAC of the bytes, in either hex case', () => {
    const sig = expectedSignature(body, 's');
    expect(verifySignature(body, sig, 's')).toBe('valid');
    expect(verifySignature(body, sig.toUpperCase().replace('SHA256=', 'sha256='), 's')).toBe('valid');
  });
  it('tells a missing header from a mismatch, and treats malformed values as mismatches', () => {
    expect(verifySignature(body, undefined, 's')).toBe('missing');
    expect(verifySignature(body, '', 's')).toBe('missing');
    for (const bad of ['sha1=abc', 'sha256=', `sha256=${'g'.repeat(64)}`, `sha256=${'0'.repeat(63)}`, expectedSignature(body, 'other')]) {
      expect(verifySignature(body, bad, 's')).toBe('mismatch');
    }
  });
});
