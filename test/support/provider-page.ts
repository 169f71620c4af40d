// Reads the provider's page (kept word for word under test/fixtures) into its field table and example text.
import { readFileSync } from 'node:fs';

export const providerPage = readFileSync(new URL('../fixtures/provider-page.txt', import.meta.url), 'utf8');

export interface PageField {
  no: string;
  name: string;
  type: string;
  /** Path of the field in the JSON body, e.g. `entry[].messaging[].message.mid`. */
  jsonPath: string;
}

/** The rows of the page's request table below `requestBody`, with their JSON paths worked out from the numbering. */
export function pageFields(): PageField[] {
  const cells = providerPage
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.endsWith('|') || l === '|')
    .map((l) => l.replace(/\|$/, '').trim());
  const rows: PageField[] = [];
  const byNo = new Map<string, PageField>();
  for (let i = 0; i < cells.length; i++) {
    if (!/^1(\.\d+)+$/.test(cells[i]!)) continue;
    const [no, rawName, type] = [cells[i]!, cells[i + 1]!, cells[i + 2]!];
    // The page prints the key `object` as `Object` (row 1.1); the JSON key is lower case.
    const name = rawName === 'Object' ? 'object' : rawName;
    const parentNo = no.split('.').slice(0, -1).join('.');
    const parent = byNo.get(parentNo);
    const step = parent ? `${parent.jsonPath}${parent.type.startsWith('Array') ? '[]' : ''}.` : '';
    const field = { no, name, type, jsonPath: `${step}${name}` };
    byNo.set(no, field);
    rows.push(field);
  }
  return rows;
}

/** The page's example request, verbatim (it repeats the key `reply_to`). */
export function pageExampleText(): string {
  const start = providerPage.indexOf('Request parameters:') + 'Request parameters:'.length;
  const end = providerPage.indexOf('{"resultMsg": "200"}');
  return providerPage.slice(start, end).trim();
}
