// Limits of one delivery that its JSON Schema cannot state alone, checked with the contract's other
// checks (after the signature): at most MAX_EVENTS events in all, and numbers finite once parsed.
// The count runs before the schema validator, so a body of 300 000 empty events is refused in
// microseconds instead of being validated and stored while every other request waits.
import type { ErrorDetail } from 'instagram-push-kit';
import { firstNonFinite, nonFiniteDetail } from './finite-numbers.js';

/** Events per delivery (messaging, standby and changes of every entry together). Meta batches up to 1000. */
export const MAX_EVENTS = 1000;

const LISTS = ['messaging', 'standby', 'changes'] as const;

/** How many events a parsed delivery holds, counting only until `stopAbove` is passed. */
export function eventCount(payload: unknown, stopAbove = MAX_EVENTS): number {
  const entry = (payload as { entry?: unknown } | null)?.entry;
  if (!Array.isArray(entry)) return 0;
  let n = 0;
  for (const e of entry) {
    if (typeof e !== 'object' || e === null) continue;
    for (const key of LISTS) {
      const list = (e as Record<string, unknown>)[key];
      if (Array.isArray(list)) n += list.length;
    }
    if (n > stopAbove) break;
  }
  return n;
}

/**
 * The delivery's problems with these limits, or null when it keeps them. The count comes first: it
 * looks at three keys per entry, while the search for non-finite numbers walks every value, which a
 * flood of 300 000 events would make costly.
 */
export function deliveryLimitProblems(payload: unknown): ErrorDetail[] | null {
  if (eventCount(payload) > MAX_EVENTS) return [{ path: '/body/entry', message: `must hold at most ${MAX_EVENTS} events in all (messaging, standby and changes)` }];
  const nonFinite = firstNonFinite(payload);
  return nonFinite === null ? null : [nonFiniteDetail(nonFinite)];
}
