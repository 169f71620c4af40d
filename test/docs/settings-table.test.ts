// The server README's configuration table is the declaration of every setting (server/run/settings.ts)
// written for people: each declared env variable has a row with the declared default, and each row
// names a declared variable, so neither can change without the other.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSetting, SETTINGS, type SettingDeclaration } from '../../server/run/settings.js';

const readme = readFileSync(join(import.meta.dirname, '..', '..', 'server', 'README.md'), 'utf8');

/** The configuration table's rows as [variable, documented default], a "`PORT` / `HOST`" row split in two. */
function documentedDefaults(): Map<string, string> {
  const lines = readme.split('\n');
  const start = lines.findIndex((l) => l.startsWith('| variable |'));
  expect(start, 'a table headed "variable" in server/README.md').toBeGreaterThan(-1);
  const rows = new Map<string, string>();
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const [names, defaults] = line.split('|').slice(1, 3).map((c) => c.trim().replace(/`/g, ''));
    const each = names!.split(' / ');
    const values = each.length > 1 ? defaults!.split(' / ') : [defaults!];
    each.forEach((name, i) => rows.set(name, values[i]!));
  }
  return rows;
}

const declared: [string, SettingDeclaration][] = Object.entries(SETTINGS);

describe('the configuration table (server/README.md) against the declaration (server/run/settings.ts)', () => {
  const rows = documentedDefaults();

  it.each(declared)('%s: has a row with the declared default', (name, declaration) => {
    expect(rows.has(name), `${name} is in the table`).toBe(true);
    expect(rows.get(name)).toBe(declaration.documentedDefault);
  });

  it('has a row only for a declared env variable', () => {
    expect([...rows.keys()].filter((name) => !(name in SETTINGS))).toEqual([]);
  });

  it.each(declared.filter(([, d]) => d.kind !== 'text' && d.default !== undefined))('%s: the documented default reads, in the grammar, as the code’s default', (name, declaration) => {
    const written = declaration.documentedDefault.split(' ')[0]!;
    expect(parseSetting(declaration, name, written)).toBe(declaration.default);
  });
});
