// Meta's delivery signatures with Web Crypto only, so they run in Node, browsers and edge workers alike.
// The contract requires X-Hub-Signature-256; Meta also sends the legacy X-Hub-Signature (sha1) over the
// same bytes, which receivers built from Meta's older samples check instead.
export const SIGNATURE_HEADER = 'X-Hub-Signature-256';
export const LEGACY_SIGNATURE_HEADER = 'X-Hub-Signature';
const PREFIX = 'sha256=';
const LEGACY_PREFIX = 'sha1=';

function bytes(body: string | Uint8Array | ArrayBuffer): Uint8Array {
  if (typeof body === 'string') return new TextEncoder().encode(body);
  // Stryker disable next-line ConditionalExpression: Web Crypto signs an ArrayBuffer as it signs a view, and a copy of a view holds the same bytes
  return body instanceof Uint8Array ? body : new Uint8Array(body);
}

function hex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function hmac(body: string | Uint8Array | ArrayBuffer, secret: string, hash: 'SHA-256' | 'SHA-1' = 'SHA-256'): Promise<ArrayBuffer> {
  // Stryker disable next-line BooleanLiteral: whether the key may be exported changes nothing it signs
  const key = await globalThis.crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash }, false, ['sign']);
  return globalThis.crypto.subtle.sign('HMAC', key, bytes(body) as BufferSource);
}

/**
 * The `X-Hub-Signature-256` value for `rawBody`: `sha256=` and the hex HMAC-SHA256 keyed by the app secret.
 * Sign the exact bytes you send; a string is signed as its UTF-8 bytes.
 */
export async function signPayload(rawBody: string | Uint8Array | ArrayBuffer, appSecret: string): Promise<string> {
  return PREFIX + hex(await hmac(rawBody, appSecret));
}

/** The legacy `X-Hub-Signature` value for `rawBody`: `sha1=` and the hex HMAC-SHA1, which Meta sends beside the sha256 one. */
export async function signLegacyPayload(rawBody: string | Uint8Array | ArrayBuffer, appSecret: string): Promise<string> {
  return LEGACY_PREFIX + hex(await hmac(rawBody, appSecret, 'SHA-1'));
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
