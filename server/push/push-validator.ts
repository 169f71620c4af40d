// Validators for the push operation, compiled once at boot from the bundled spec (the same Ajv 2020
// engine express-openapi-validator uses), so the hot path does no per-request route matching or
// schema lookup. Errors read exactly like the validator's: `/body/<json pointer>` and Ajv's message.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ErrorDetail } from 'instagram-push-kit';
import type { OpenApiDocument } from '../contract/spec.js';
import { PUSH_SPEC_PATH } from './push-path.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

type Json = Record<string, any>;

function resolvePointer(spec: Json, ref: string): Json {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<Json>((node, key) => node[key], spec);
}

const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

export interface PushValidators {
  /** Null when the body is valid; otherwise every failing path (capped). */
  body(value: unknown): ErrorDetail[] | null;
  /** Null when the path's chanId is valid. */
  chanId(value: string): ErrorDetail[] | null;
  /** The 200 body, serialised once after checking it against the operation's 200 response schema. */
  acceptedBody: string;
}

const MAX_DETAILS = 100;

function details(prefix: string, errors: ErrorObject[] | null | undefined): ErrorDetail[] {
  // Stryker disable next-line StringLiteral: Ajv gives every error a message (its `messages` option is on)
  return (errors ?? []).slice(0, MAX_DETAILS).map((e) => ({ path: `${prefix}${e.instancePath}`, message: e.message ?? 'invalid' }));
}

export function compilePushValidators(spec: OpenApiDocument): PushValidators {
  const doc = spec as Json;
  // Stryker disable next-line BooleanLiteral: the fast engine only decides valid or not, which allErrors does not change (it only costs time)
  const fast = new Ajv2020({ strict: false, allErrors: false });
  // The second engine only runs on bodies that already failed, to name every failing path.
  const thorough = new Ajv2020({ strict: false, allErrors: true });
  for (const ajv of [fast, thorough]) {
    addFormats(ajv);
    ajv.addSchema(doc, 'spec');
  }
  const base = `#/paths/${escapePointer(PUSH_SPEC_PATH)}/post`;
  let bodyPointer = `${base}/requestBody`;
  const requestBody = resolvePointer(doc, bodyPointer);
  if (requestBody.$ref) bodyPointer = requestBody.$ref;
  bodyPointer += '/content/application~1json/schema';
  const compile = (ajv: Ajv2020, pointer: string): ValidateFunction => ajv.compile({ $ref: `spec${pointer}` });
  const fastBody = compile(fast, bodyPointer);
  const fullBody = compile(thorough, bodyPointer);

  const pathItem = resolvePointer(doc, `#/paths/${escapePointer(PUSH_SPEC_PATH)}`);
  const param = (pathItem.parameters as Json[]).map((p) => (p.$ref ? resolvePointer(doc, p.$ref) : p)).find((p) => p.name === 'chanId')!;
  const chanIdSchema = fast.compile(param.schema);

  let acceptedPointer = `${base}/responses/200`;
  const accepted = resolvePointer(doc, acceptedPointer);
  if (accepted.$ref) acceptedPointer = accepted.$ref;
  const acceptedValue = { resultMsg: '200' };
  if (!compile(fast, `${acceptedPointer}/content/application~1json/schema`)(acceptedValue)) {
    throw new Error('the 200 body of the push operation does not match the spec');
  }

  return {
    body(value) {
      if (fastBody(value)) return null;
      fullBody(value);
      return details('/body', fullBody.errors);
    },
    chanId(value) {
      return chanIdSchema(value) ? null : details('/path/chanId', chanIdSchema.errors);
    },
    acceptedBody: JSON.stringify(acceptedValue),
  };
}
