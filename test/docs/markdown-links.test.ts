// Every relative link and anchor in the project's Markdown resolves: a reader who follows one from the
// root README to a package README or CONTRIBUTING.md lands where the text says.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchorsOf, linksOf } from '../support/markdown.js';

const root = join(import.meta.dirname, '..', '..');
const documents = execFileSync('git', ['ls-files', '*.md'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f !== '' && !f.startsWith('test/fixtures/') && existsSync(join(root, f)));

function broken(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const problems: string[] = [];
  for (const { target, line } of linksOf(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: … : not ours to check offline
    const [path, anchor] = target.split('#', 2) as [string, string | undefined];
    const resolved = path === '' ? join(root, file) : join(dirname(join(root, file)), decodeURIComponent(path));
    const where = `${file}:${line} → ${target}`;
    if (!existsSync(resolved)) {
      problems.push(`${where}: no such file ${relative(root, resolved)}`);
      continue;
    }
    if (anchor === undefined || anchor === '' || statSync(resolved).isDirectory() || !resolved.endsWith('.md')) continue;
    if (!anchorsOf(readFileSync(resolved, 'utf8')).has(anchor)) problems.push(`${where}: no heading with anchor #${anchor}`);
  }
  return problems;
}

describe('the Markdown documents', () => {
  it('are found (the root README, both package READMEs)', () => {
    expect(documents).toEqual(expect.arrayContaining(['README.md', 'client/README.md', 'server/README.md']));
  });

  it.each(documents)('%s: every relative link and anchor resolves', (file) => {
    expect(broken(file)).toEqual([]);
  });
});

describe('the link reader', () => {
  it('finds inline links and images, and skips code', () => {
    const text = 'See [a](b.md#c) and ![i](x.png).\n\n```sh\n[not](a-link)\n```\nand `[nor](this)`.';
    expect(linksOf(text).map((l) => l.target)).toEqual(['b.md#c', 'x.png']);
  });

  it('makes the anchors GitHub makes, numbering repeats', () => {
    const anchors = anchorsOf('# A title\n## `ig-push check`: hold any receiver\n## Same\n## Same\n```\n# not a heading\n```');
    expect([...anchors]).toEqual(['a-title', 'ig-push-check-hold-any-receiver', 'same', 'same-1']);
  });
});
