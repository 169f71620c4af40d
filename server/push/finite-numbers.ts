// Finds numbers that JSON.parse turned into ±Infinity (`1e400`): they cannot be stored or served back as
// JSON, so a delivery holding one is refused wherever the number sits, unknown keys included.
//
// Why a walk of the parsed value and no test on the text first: the walk visits values, not bytes, and
// skips strings, so it costs less than any scan of the text (measured: 0.17 µs against 0.26 µs for a
// 240-byte delivery, 0.11 ms against 0.79 ms for 1000 events in a megabyte, JSON.parse 0.9 ms). And a
// test for literals that may overflow is easy to get wrong: `/[eE]\+?\d{3}|\d{309}/` misses
// `1` + 250 zeros + `e60`, and backtracks for a third of a second on a megabyte of 209-digit runs.
import type { ErrorDetail } from 'instagram-push-kit';

const escapeKey = (key: string) => (key.includes('~') || key.includes('/') ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key);

/**
 * The JSON Pointer (`/entry/0/time`; `''` for the root itself) of the first number in `value` that is
 * not finite, in the value's own key order, or null when every number is finite.
 */
export function firstNonFinite(value: unknown): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : '';
  if (typeof value !== 'object' || value === null) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const inner = firstNonFinite(value[i]);
      if (inner !== null) return `/${i}${inner}`;
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    const inner = firstNonFinite((value as Record<string, unknown>)[key]);
    if (inner !== null) return `/${escapeKey(key)}${inner}`;
  }
  return null;
}

export const NON_FINITE_MESSAGE = 'must be a finite number';

/** The error detail naming a non-finite number at `pointer` inside the part of the request at `prefix`. */
export function nonFiniteDetail(pointer: string, prefix = '/body'): ErrorDetail {
  return { path: `${prefix}${pointer}`, message: NON_FINITE_MESSAGE };
}
