// The forward states still to be sent, written once for both stores' SQL (schemas, claims, status,
// discard, retention's guard): a state added here is open everywhere at once.
import type { ForwardState } from './outbox.js';

/** Forwards still to be sent. */
export const OPEN_STATE_NAMES = ['pending', 'retrying'] as const satisfies readonly ForwardState[];

/** The SQL condition "this forward is open", on a row of relay_forwards (`f.${OPEN_STATES}` on an alias). */
export const OPEN_STATES = `state IN (${OPEN_STATE_NAMES.map((s) => `'${s}'`).join(', ')})`;
