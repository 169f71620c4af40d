// Offline validation of a delivery against the bundled spec (Ajv 2020, as the server). The spec is
// imported, so the ig-push bundle carries it inline and needs no file beside it.
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import bundledSpec from '../../generated/openapi.json' with { type: 'json' };
import type { ErrorDetail } from '../types.js';

// ajv-formats is CommonJS: under NodeNext its default import is the module object's callable export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export type Problem = ErrorDetail;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The JSON pointer an Ajv error is about, down to the missing or unexpected property. */
function pathOf(error: ErrorObject): string {
  const p = error.params as { missingProperty?: string; unevaluatedProperty?: string; additionalProperty?: string };
  const child = p.missingProperty ?? p.unevaluatedProperty ?? p.additionalProperty;
  return child === undefined ? error.instancePath : `${error.instancePath}/${child.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/** Builds a validator for `#/components/schemas/WebhookDelivery` of `spec` (an OpenAPI document). */
export function createDeliveryValidator(spec: object = bundledSpec): (bytes: Uint8Array) => Problem[] {
  // strict: false because the document is an OpenAPI file, not a bare JSON Schema (info, paths, examples…).
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  ajv.addSchema(spec, 'spec');
  const validate = ajv.compile({ $ref: 'spec#/components/schemas/WebhookDelivery' });

  return (bytes) => {
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(bytes));
    } catch (err) {
      return [{ path: '', message: err instanceof SyntaxError ? `not JSON: ${err.message}` : 'not UTF-8 text' }];
    }
    if (validate(value)) return [];
    const seen = new Set<string>();
    const problems: Problem[] = [];
    for (const error of validate.errors ?? []) {
      const problem = { path: pathOf(error), message: error.message ?? error.keyword };
      const key = `${problem.path}\0${problem.message}`;
      if (!seen.has(key)) problems.push(problem);
      seen.add(key);
    }
    return problems;
  };
}
