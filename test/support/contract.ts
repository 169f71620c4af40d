// The test-side oracle: Ajv 2020 over the bundled spec, independent of the server's own validator.
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export const bundledSpecPath = new URL('../../generated/openapi.json', import.meta.url);

type Json = Record<string, any>;
export const spec: Json = JSON.parse(readFileSync(bundledSpecPath, 'utf8'));

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
// Register the whole document so `#/components/...` refs resolve from any schema we compile.
ajv.addSchema(spec, 'spec');

const cache = new Map<string, ValidateFunction>();
function compileRef(ref: string): ValidateFunction {
  let v = cache.get(ref);
  if (!v) {
    v = ajv.compile({ $ref: `spec${ref}` });
    cache.set(ref, v);
  }
  return v;
}

export interface Verdict {
  valid: boolean;
  errors: ErrorObject[];
}

/** Validates `value` against `#/components/schemas/<name>`. */
export function validateSchema(name: string, value: unknown): Verdict {
  const v = compileRef(`#/components/schemas/${name}`);
  const valid = v(value) as boolean;
  return { valid, errors: v.errors ?? [] };
}

/** Validates `value` against the schema at a JSON Pointer of the bundled spec (`#/paths/…/schema`). */
export function validateAt(schemaPointer: string, value: unknown): Verdict {
  const v = compileRef(schemaPointer);
  const valid = v(value) as boolean;
  return { valid, errors: v.errors ?? [] };
}

const pointer = (parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** The spec's operation for a concrete method and URL path, or undefined when the spec has none. */
export function findOperation(method: string, urlPath: string): { template: string; op: Json } | undefined {
  for (const [template, item] of Object.entries<Json>(spec.paths)) {
    const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (re.test(urlPath) && item[method.toLowerCase()]) return { template, op: item[method.toLowerCase()] };
  }
  return undefined;
}

/**
 * Checks one HTTP response against the spec: the status is documented for the operation (or, for paths
 * and methods the spec lacks, is a 404/405 error body), the content type matches, and the body validates.
 */
export function checkResponse(method: string, urlPath: string, status: number, contentType: string, body: string): string[] {
  const found = findOperation(method, urlPath);
  let schemaPointer = '#/components/schemas/ErrorBody';
  let mediaType = 'application/json';
  if (!found) {
    if (status !== 404 && status !== 405) return [`${method} ${urlPath} is not in the spec but answered ${status}`];
  } else {
    let responsePointer = `#/${pointer(['paths', found.template, method.toLowerCase(), 'responses', String(status)])}`;
    let response = (found.op.responses as Json)[String(status)] as Json | undefined;
    if (!response) return [`${method} ${found.template} answered undocumented status ${status}`];
    if (response.$ref) {
      responsePointer = response.$ref;
      response = resolve(response.$ref);
    }
    mediaType = Object.keys(response.content)[0]!;
    schemaPointer = `${responsePointer}/content/${pointer([mediaType])}/schema`;
  }
  const problems: string[] = [];
  if (!contentType.toLowerCase().startsWith(mediaType)) problems.push(`content-type ${contentType} is not ${mediaType}`);
  let parsed: unknown = body;
  if (mediaType === 'application/json') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return [...problems, `body is not JSON: ${body.slice(0, 80)}`];
    }
  }
  const v = compileRef(schemaPointer);
  if (!v(parsed)) problems.push(`body breaks ${schemaPointer}: ${ajv.errorsText(v.errors)}`);
  return problems;
}

function resolve(ref: string): Json {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<Json>((node, key) => node[key], spec);
}

export { resolve as resolvePointer };

/**
 * Checks one HTTP request against the spec, as a sender must make it: a documented operation, every
 * required parameter present and valid, no undocumented query parameter, a JSON body matching the schema.
 */
export function checkRequest(method: string, url: string, contentType: string, body: string): string[] {
  const parsed = new URL(url, 'http://x');
  const found = findOperation(method, parsed.pathname);
  if (!found) return [`${method} ${parsed.pathname} is not an operation of the spec`];
  const problems: string[] = [];
  const pathItem = spec.paths[found.template] as Json;
  const params = [...(pathItem.parameters ?? []), ...(found.op.parameters ?? [])].map((p: Json) => (p.$ref ? resolve(p.$ref) : p));
  const segments = parsed.pathname.split('/');
  const templateSegments = found.template.split('/');
  for (const p of params) {
    let value: string | undefined;
    if (p.in === 'path') value = decodeURIComponent(segments[templateSegments.indexOf(`{${p.name}}`)] ?? '');
    else if (p.in === 'query') value = parsed.searchParams.get(p.name) ?? undefined;
    else continue;
    if (value === undefined) {
      if (p.required) problems.push(`missing ${p.in} parameter ${p.name}`);
      continue;
    }
    const schema = p.schema.type === 'integer' || p.schema.type === 'number' ? Number(value) : value;
    const v = ajv.compile(p.schema);
    if (!v(schema)) problems.push(`${p.in} parameter ${p.name}: ${ajv.errorsText(v.errors)}`);
  }
  for (const name of parsed.searchParams.keys()) {
    if (!params.some((p) => p.in === 'query' && p.name === name)) problems.push(`undocumented query parameter ${name}`);
  }
  let requestBody = found.op.requestBody as Json | undefined;
  if (requestBody) {
    const pointer = requestBody.$ref ?? `#/${pointerOf(['paths', found.template, method.toLowerCase(), 'requestBody'])}`;
    requestBody = requestBody.$ref ? resolve(requestBody.$ref) : requestBody;
    if (!contentType.toLowerCase().startsWith('application/json')) problems.push(`content-type ${contentType} is not application/json`);
    try {
      const v = compileRef(`${pointer}/content/application~1json/schema`);
      if (!v(JSON.parse(body))) problems.push(`body: ${ajv.errorsText(v.errors)}`);
    } catch {
      problems.push('body is not JSON');
    }
  } else if (body.length > 0) {
    problems.push('a body was sent to an operation that takes none');
  }
  return problems;
}

function pointerOf(parts: string[]): string {
  return pointer(parts);
}
