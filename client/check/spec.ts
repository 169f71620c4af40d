// The contract as the conformance run reads it: the bundled spec (imported, so a bundle carries it
// inline), the answers it documents for the push and handshake operations, and a check of one answer
// against them with Ajv 2020, as the server and `ig-push validate` use. Every problem names the spec
// location that says so, as a JSON pointer into the bundled spec (`/openapi.json` on the reference server).
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import bundledSpec from '../../generated/openapi.json' with { type: 'json' };

// ajv-formats is CommonJS: under NodeNext its default import is the module object's callable export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

type Json = Record<string, any>;
export const spec: Json = bundledSpec;

import { PUSH_PATH } from '../receiver-url.js';

export { PUSH_PATH };

/** The two path variants: routed by `entry[].id`, or to the channel the path names. */
export type Route = 'account' | 'channel';
export const TEMPLATES: Record<Route, string> = { account: PUSH_PATH, channel: `${PUSH_PATH}/{chanId}` };

/** Where the spec says how long an answer may take (Meta's five seconds). */
export const TIMING_SPEC = '#/info/description';
/** Where the spec names every error code. */
export const ERROR_CODE_SPEC = '#/components/schemas/ErrorCode';

/** A JSON pointer (RFC 6901) into the bundled spec. */
export function pointer(...parts: string[]): string {
  return `#/${parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

function resolve(ref: string): Json {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<Json>((node, key) => node?.[key], spec);
}

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

/** A validator for the schema at `ref`, compiled once; the whole spec is registered so its refs resolve. */
function validatorFor(ref: string): ValidateFunction {
  let validate = compiled.get(ref);
  if (!validate) {
    if (!ajv) {
      // strict: false because the document is an OpenAPI file, not a bare JSON Schema.
      ajv = new Ajv2020({ allErrors: true, strict: false });
      addFormats(ajv);
      ajv.addSchema(spec, 'spec');
    }
    validate = ajv.compile({ $ref: `spec${ref}` });
    compiled.set(ref, validate);
  }
  return validate;
}

/** The documented response for `status` (its pointer, with a `$ref` followed), or undefined when not listed. */
export function documentedResponse(method: 'GET' | 'POST', route: Route, status: number): { pointer: string; response: Json } | undefined {
  const operation = pointer('paths', TEMPLATES[route], method.toLowerCase());
  const listed = resolve(operation)?.responses?.[String(status)] as Json | undefined;
  if (!listed) return undefined;
  return listed.$ref ? { pointer: listed.$ref, response: resolve(listed.$ref) } : { pointer: `${operation}/responses/${status}`, response: listed };
}

/** The pointer of an operation, e.g. `#/paths/~1apiaccess~1api~1instagram~1message~1{chanId}/get`. */
export const operationPointer = (method: 'GET' | 'POST', route: Route) => pointer('paths', TEMPLATES[route], method.toLowerCase());

/** What came back, as far as the contract is concerned. */
export interface Answer {
  status: number;
  contentType: string;
  body: string;
}

/** One way an answer breaks the spec: what the spec expects, and where it says so. */
export interface SpecProblem {
  expected: string;
  spec: string;
  /** What exactly is wrong, when there is more to say (the failing schema paths). */
  detail?: string;
}

const essence = (contentType: string) => contentType.split(';')[0]!.trim().toLowerCase();

/** Problems with `answer` as an answer of the operation: status listed, content type, body schema. */
export function checkAgainstSpec(method: 'GET' | 'POST', route: Route, answer: Answer): SpecProblem[] {
  const documented = documentedResponse(method, route, answer.status);
  if (!documented) {
    const listed = Object.keys(resolve(operationPointer(method, route))?.responses ?? {}).join(', ');
    return [{ expected: `a status the operation lists (${listed})`, spec: `${operationPointer(method, route)}/responses` }];
  }
  const content = (documented.response.content ?? {}) as Json;
  const mediaTypes = Object.keys(content);
  if (mediaTypes.length === 0) return [];
  const mediaType = mediaTypes.find((m) => m === essence(answer.contentType));
  if (!mediaType) return [{ expected: `Content-Type ${mediaTypes.join(' or ')}`, spec: `${documented.pointer}/content` }];
  let value: unknown = answer.body;
  const schemaRef = `${documented.pointer}/content/${mediaType.replace(/~/g, '~0').replace(/\//g, '~1')}/schema`;
  if (mediaType === 'application/json') {
    try {
      value = JSON.parse(answer.body);
    } catch {
      return [{ expected: 'a JSON body', spec: schemaRef }];
    }
  }
  const validate = validatorFor(schemaRef);
  if (validate(value)) return [];
  const errors = [...new Set((validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? e.keyword}`))];
  return [{ expected: 'a body matching the schema', spec: schemaRef, detail: errors.slice(0, 3).join('; ') }];
}
