// What is compiled from a spec (Ajv validators) is the same for the same spec, so one compile per distinct
// spec serves every app made from it in this process. A server makes one app; the test suites make
// hundreds (a server per test), and each compile of the push validators and the inbox item check costs
// a fifth of an app's start. Keyed by the spec's content, not the object: every loadBundledSpec() parses
// a new one. What is kept must be safe to share: functions without per-app state.
import { createHash } from 'node:crypto';
import type { OpenApiDocument } from './spec.js';

/** Specs kept per compiler, the least recently used dropped first: a process rarely sees more than one. */
export const MAX_SPECS = 4;

/** `compile`, run once per distinct spec (by content) and its result reused after that; a throw is not kept. */
export function compiledPerSpec<T>(compile: (spec: OpenApiDocument) => T): (spec: OpenApiDocument) => T {
  const kept = new Map<string, T>();
  return (spec) => {
    const key = createHash('sha256').update(JSON.stringify(spec)).digest('base64');
    const hit = kept.get(key);
    kept.delete(key);
    const value = hit ?? compile(spec);
    kept.set(key, value);
    if (kept.size > MAX_SPECS) kept.delete(kept.keys().next().value!);
    return value;
  };
}
