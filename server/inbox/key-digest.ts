// The dedupe key as both stores hold it: a SHA-256 digest of the event's key (events.ts), 64 hex
// characters whatever the key holds. The raw key grows with the mid: a 1 024-character CJK or emoji
// mid, which the contract accepts, makes a key of 3 to 4 KB, past PostgreSQL's b-tree entry limit
// (2 704 bytes), so a unique index on the raw key refused such deliveries for ever.
import { createHash } from 'node:crypto';

/** What keyDigest returns, always: the unique index holds entries of this size only. */
export const KEY_DIGEST_PATTERN = /^[0-9a-f]{64}$/;

/**
 * The stored form of a dedupe key. Migration 3 of each store turns the keys stored before into this,
 * from the same UTF-8 bytes, so a redelivery of an event stored then is still a duplicate.
 */
export function keyDigest(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
