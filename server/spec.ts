// The bundled spec (generated/openapi.json), located beside this module in source and in dist/.
import { readFileSync } from 'node:fs';

export const bundledSpecUrl = new URL('../generated/openapi.json', import.meta.url);

export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, unknown> };

export function loadBundledSpec(): OpenApiDocument {
  return JSON.parse(readFileSync(bundledSpecUrl, 'utf8')) as OpenApiDocument;
}
