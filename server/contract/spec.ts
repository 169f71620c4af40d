// contract/: the contract as this server holds it, below every stage. The bundled spec (here), the
// express-openapi-validator that holds the general path's requests and answers to it (validator.ts), the
// one error type every stage throws, an HTTP status with the spec's ErrorBody (errors.ts), and the other
// files the build puts beside the compiled server: the docs page rendered from the spec and the console
// bundle (assets.ts). The push hot path's own validators are compiled from this same spec (push/push-validator.ts).
//
// The bundled spec: generated/openapi.json from source (server/contract/spec.ts), and the copy the build puts in
// server/dist/generated/ from the compiled module (server/dist/server/contract/spec.js), so one relative URL serves both.
import { readFileSync } from 'node:fs';

export const bundledSpecUrl = new URL('../../generated/openapi.json', import.meta.url);

export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, unknown> };

export function loadBundledSpec(): OpenApiDocument {
  return JSON.parse(readFileSync(bundledSpecUrl, 'utf8')) as OpenApiDocument;
}
