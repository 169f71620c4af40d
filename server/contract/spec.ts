// The bundled spec: generated/openapi.json from source (server/contract/spec.ts), and the copy the build puts in
// server/dist/generated/ from the compiled module (server/dist/server/contract/spec.js), so one relative URL serves both.
import { readFileSync } from 'node:fs';

export const bundledSpecUrl = new URL('../../generated/openapi.json', import.meta.url);

export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, unknown> };

export function loadBundledSpec(): OpenApiDocument {
  return JSON.parse(readFileSync(bundledSpecUrl, 'utf8')) as OpenApiDocument;
}
