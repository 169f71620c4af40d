// Finds numbers that JSON.parse turned into ±Infinity (`1e400`): they cannot be stored or served back as
// JSON, so a delivery holding one is refused wherever the number sits, unknown keys included.
import type { ErrorDetail } from 'instagram-push-kit';

/**
 * True when the JSON text may hold a literal that overflows a double. Such a literal needs a 3-digit
 * exponent, or (with an exponent of at most 99) an integer part of at least 210 digits, since
 * 10^209 × 10^99 is still below 1.8e308. Strings that merely look like this only cost a walk. The
 * lookbehind starts a digit run's match at its first digit only: without it, a megabyte of 209-digit
 * runs costs a third of a second of backtracking per request; with it, a few milliseconds.
 */
const MAY_OVERFLOW = /[eE]\+?\d{3}|\d{309}/;

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

/**
 * For a JSON text and what JSON.parse made of it: the pointer of the first number that overflowed to
 * ±Infinity, or null. Runs on every push, so the parsed value is only walked when the text could hold
 * such a number at all.
 */
export function nonFinitePath(text: string, value: unknown): string | null {
  return MAY_OVERFLOW.test(text) ? firstNonFinite(value) : null;
}

export const NON_FINITE_MESSAGE = 'must be a finite number';

/** The error detail naming a non-finite number at `pointer` inside the part of the request at `prefix`. */
export function nonFiniteDetail(pointer: string, prefix = '/body'): ErrorDetail {
  return { path: `${prefix}${pointer}`, message: NON_FINITE_MESSAGE };
}
