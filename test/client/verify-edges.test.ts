// The client's signature helpers at their edges: what verifyPayload accepts and refuses, and which bytes
// signPayload covers for each kind of body it takes.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, signPayload, verifyPayload } from '../../client/index.js';

const SECRET = 'app-secret';
const BODY = '{"object":"instagram","entry":[{"id":"1","text":"café 😀"}]}';
const expected = `sha256=${createHmac('sha256', SECRET).update(BODY).digest('hex')}`;
const hexPart = expected.slice('sha256='.length);

describe('verifyPayload accepts', () => {
  it('the exact signature', async () => {
    expect(await verifyPayload(BODY, expected, SECRET)).toBe(true);
  });

  it('upper-case hex and an upper-case prefix, as some proxies rewrite them', async () => {
    expect(await verifyPayload(BODY, `sha256=${hexPart.toUpperCase()}`, SECRET)).toBe(true);
    expect(await verifyPayload(BODY, expected.toUpperCase(), SECRET)).toBe(true);
  });

  it('a header with spaces around the value', async () => {
    expect(await verifyPayload(BODY, `  ${expected}\t`, SECRET)).toBe(true);
  });

  it('the same body given as a string, bytes or an ArrayBuffer', async () => {
    const bytes = new TextEncoder().encode(BODY);
    expect(await verifyPayload(bytes, expected, SECRET)).toBe(true);
    expect(await verifyPayload(bytes.buffer.slice(0), expected, SECRET)).toBe(true);
  });
});

describe('verifyPayload refuses', () => {
  it('a header longer than the signature that starts with it', async () => {
    expect(await verifyPayload(BODY, `${expected}0`, SECRET)).toBe(false);
    expect(await verifyPayload(BODY, `${expected}${expected}`, SECRET)).toBe(false);
  });

  it('a header shorter than the signature: a prefix of it, or the prefix alone', async () => {
    expect(await verifyPayload(BODY, expected.slice(0, -1), SECRET)).toBe(false);
    expect(await verifyPayload(BODY, 'sha256=', SECRET)).toBe(false);
  });

  it('the bare hex without the sha256= prefix, and another algorithm prefix', async () => {
    expect(await verifyPayload(BODY, hexPart, SECRET)).toBe(false);
    expect(await verifyPayload(BODY, `sha1=${hexPart}`, SECRET)).toBe(false);
    expect(await verifyPayload(BODY, `sha512=${hexPart}`, SECRET)).toBe(false);
  });

  it('a signature of the right length made of non-hex characters', async () => {
    expect(await verifyPayload(BODY, `sha256=${'z'.repeat(64)}`, SECRET)).toBe(false);
  });

  it('a signature that differs in its last character only', async () => {
    const last = expected.at(-1) === '0' ? '1' : '0';
    expect(await verifyPayload(BODY, expected.slice(0, -1) + last, SECRET)).toBe(false);
  });

  it('the signature of another body, or made with another secret', async () => {
    expect(await verifyPayload(`${BODY} `, expected, SECRET)).toBe(false);
    expect(await verifyPayload(BODY, expected, 'other-secret')).toBe(false);
  });

  it('a missing, null or empty header', async () => {
    expect(await verifyPayload(BODY, undefined, SECRET)).toBe(false);
    expect(await verifyPayload(BODY, null, SECRET)).toBe(false);
    expect(await verifyPayload(BODY, '', SECRET)).toBe(false);
  });
});

describe('signPayload', () => {
  it('signs a Uint8Array view over its own bytes only, not the buffer around it', async () => {
    const whole = new TextEncoder().encode(`xx${BODY}yy`);
    const view = whole.subarray(2, whole.length - 2);
    expect(await signPayload(view, SECRET)).toBe(expected);
  });

  it('signs an ArrayBuffer, as a Request hands its body over', async () => {
    const buffer = await new Request('http://127.0.0.1/', { method: 'POST', body: BODY }).arrayBuffer();
    expect(await signPayload(buffer, SECRET)).toBe(expected);
  });

  it('writes lower-case hex, two digits a byte, even for bytes below 16', async () => {
    // Both HMACs below hold bytes below 0x10 (0x07 in the first, 0x08 and 0x0b in the second).
    for (const [body, secret] of [['', 'key'], ['x', 'k']] as const) {
      const sig = await signPayload(body, secret);
      expect(sig).toBe(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
      expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    }
  });

  it('names the header Meta sends', () => {
    expect(SIGNATURE_HEADER).toBe('X-Hub-Signature-256');
  });
});
