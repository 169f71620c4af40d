// fast-check arbitraries derived from the bundled request schema (not written per field), and the list of
// every field's JSON path with its type, for single-field mutations.
import fc from 'fast-check';
import { resolvePointer, spec } from './contract.js';

type Schema = Record<string, any>;

const deref = (s: Schema): Schema => (s.$ref ? deref(resolvePointer(s.$ref)) : s);

/** An arbitrary of values valid against `schema`; unknown keys are left out, arrays kept short. */
export function arbitraryOf(schema: Schema, depth = 0): fc.Arbitrary<unknown> {
  const s = deref(schema);
  if (s.anyOf) return fc.oneof(...s.anyOf.map((x: Schema) => arbitraryOf(x, depth)));
  if (s.enum) return fc.constantFrom(...s.enum);
  if (s.const !== undefined) return fc.constant(s.const);
  switch (s.type) {
    case 'string':
      return fc.string({ maxLength: Math.min(s.maxLength ?? 24, 24), unit: 'grapheme' });
    case 'number':
      return fc.oneof(fc.integer({ min: s.minimum ?? -1e12, max: 2e12 }), fc.double({ min: s.minimum ?? -1e12, max: 2e12, noNaN: true, noDefaultInfinity: true }));
    case 'integer':
      return fc.integer({ min: s.minimum ?? -1e9, max: s.maximum ?? 1e9 });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(arbitraryOf(s.items, depth + 1), { maxLength: Math.min(s.maxItems ?? 3, depth > 2 ? 1 : 3) });
    case 'object': {
      const props = Object.fromEntries(Object.entries<Schema>(s.properties ?? {}).map(([k, v]) => [k, arbitraryOf(v, depth + 1)]));
      if (Object.keys(props).length === 0) return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 });
      return fc.record(props, { requiredKeys: s.required ?? [] });
    }
    default:
      return fc.jsonValue({ maxDepth: 1 });
  }
}

export const deliveryArbitrary = () => arbitraryOf(spec.components.schemas.WebhookDelivery);

export interface FieldPath {
  /** JSON Pointer into the body, arrays at index 0, e.g. `/entry/0/messaging/0/message/mid`. */
  pointer: string;
  type: string;
}

/** Every property reachable in the schema, with its type (a string for anyOf of strings). */
export function fieldPaths(schema: Schema = spec.components.schemas.WebhookDelivery, prefix = '', seen = new Set<Schema>()): FieldPath[] {
  const s = deref(schema);
  if (seen.has(s)) return [];
  const out: FieldPath[] = [];
  const next = new Set(seen).add(s);
  if (s.type === 'array') return fieldPaths(s.items, `${prefix}/0`, next);
  for (const [name, child] of Object.entries<Schema>(s.properties ?? {})) {
    const c = deref(child);
    const type = c.type ?? (c.anyOf ? 'string' : 'unknown');
    out.push({ pointer: `${prefix}/${name}`, type });
    if (c.type === 'object' || c.type === 'array') out.push(...fieldPaths(c, `${prefix}/${name}`, next));
  }
  return out;
}

/** A value of the wrong type for a field of `type`. */
export function wrongValueFor(type: string): unknown {
  return { string: 12345, number: 'soon', integer: 'many', boolean: 'yes', object: 'not an object', array: { not: 'an array' } }[type] ?? null;
}

/** Sets `value` at `pointer`, creating the objects and arrays on the way. */
export function setAt(target: Record<string, any>, pointer: string, value: unknown): void {
  const keys = pointer.split('/').slice(1);
  let node: any = target;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) {
      node[key] = value;
      return;
    }
    const nextIsIndex = keys[i + 1] === '0';
    if (node[key] === undefined || node[key] === null || typeof node[key] !== 'object' || Array.isArray(node[key]) !== nextIsIndex) node[key] = nextIsIndex ? [] : {};
    node = node[key];
  });
}
