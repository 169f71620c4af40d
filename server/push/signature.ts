// Verifies Meta's X-Hub-Signature-256 over the exact bytes received, in constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-hub-signature-256';
const PREFIX = 'sha256=';
const HEX_LENGTH = 64;

export type SignatureVerdict = 'valid' | 'missing' | 'mismatch';

/** The header value Meta would send for `raw` signed with `secret`. */
export function expectedSignature(raw: Uint8Array, secret: string): string {
  return PREFIX + createHmac('sha256', secret).update(raw).digest('hex');
}

export function verifySignature(raw: Uint8Array, header: string | undefined, secret: string): SignatureVerdict {
  if (header === undefined || header === '') return 'missing';
  const given = header.trim().toLowerCase();
  if (!given.startsWith(PREFIX) || given.length !== PREFIX.length + HEX_LENGTH || !/^[0-9a-f]+$/.test(given.slice(PREFIX.length))) {
    return 'mismatch';
  }
  const expected = createHmac('sha256', secret).update(raw).digest();
  const actual = Buffer.from(given.slice(PREFIX.length), 'hex');
  return timingSafeEqual(expected, actual) ? 'valid' : 'mismatch';
}
