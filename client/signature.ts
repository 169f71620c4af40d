// Meta's delivery signature with Web Crypto only, so it runs in Node, browsers and edge workers alike.
export const SIGNATURE_HEADER = 'X-Hub-Signature-256';
const PREFIX = 'sha256=';

function bytes(body: string | Uint8Array | ArrayBuffer): Uint8Array {
  if (typeof body === 'string') return new TextEncoder().encode(body);
  // Stryker disable next-line ConditionalExpression: Web Crypto signs an ArrayBuffer as it signs a view, and a copy of a view holds the same bytes
  return body instanceof Uint8Array ? body : new Uint8Array(body);
}

function hex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function hmac(body: string | Uint8Array | ArrayBuffer, secret: string): Promise<ArrayBuffer> {
  // Stryker disable next-line BooleanLiteral: whether the key may be exported changes nothing it signs
  const key = await globalThis.crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return globalThis.crypto.subtle.sign('HMAC', key, bytes(body) as BufferSource);
}

/**
 * The `X-Hub-Signature-256` value for `rawBody`: `sha256=` and the hex HMAC-SHA256 keyed by the app secret.
 * Sign the exact bytes you send; a string is signed as its UTF-8 bytes.
 */
export async function signPayload(rawBody: string | Uint8Array | ArrayBuffer, appSecret: string): Promise<string> {
  return PREFIX + hex(await hmac(rawBody, appSecret));
}

/** True when `header` is the signature of `rawBody`; compares in constant time. */
export async function verifyPayload(rawBody: string | Uint8Array | ArrayBuffer, header: string | null | undefined, appSecret: string): Promise<boolean> {
  if (!header) return false;
  const expected = await signPayload(rawBody, appSecret);
  const given = header.trim().toLowerCase();
  if (given.length !== expected.length) return false;
  let diff = 0;
  // Stryker disable next-line EqualityOperator: with <=, the extra step XORs NaN with NaN, which is 0
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ given.charCodeAt(i);
  return diff === 0;
}
