// Keeps a file of secrets out of git: `ig-push init` writes config.json (app secret, tokens) where a
// developer runs it, usually the root of their repository, where one `git add .` would commit it.
// Inside a repository the file is added to its .gitignore unless git already ignores it.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';

/** What was done: the file was outside any repository, already ignored, or added to `.gitignore`. */
export type GitIgnoreOutcome = { state: 'outside' } | { state: 'ignored'; root: string } | { state: 'added'; root: string; line: string };

/** The repository that holds `dir` (the nearest folder up with a .git), if any. */
export function repositoryOf(dir: string): string | undefined {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(resolve(d, '.git'))) return d;
    if (dirname(d) === d) return undefined;
  }
}

/** Whether git ignores `file`: asks git itself (every .gitignore, info/exclude, the global file); without git, the repository's .gitignore's exact line. */
function ignored(root: string, file: string, line: string): boolean {
  const r = spawnSync('git', ['check-ignore', '-q', '--', file], { cwd: root, stdio: 'ignore' });
  if (r.status === 0) return true;
  if (r.status === 1) return false;
  const gitignore = resolve(root, '.gitignore');
  return existsSync(gitignore) && readFileSync(gitignore, 'utf8').split(/\r?\n/).includes(line);
}

/** Makes git ignore `file` when it is inside a repository; returns what it did. */
export function ignoreInGit(file: string): GitIgnoreOutcome {
  const path = resolve(file);
  const root = repositoryOf(dirname(path));
  if (!root) return { state: 'outside' };
  // Anchored at the root, with gitignore's pattern characters taken literally.
  const line = `/${relative(root, path).split(sep).join('/').replace(/[*?[\]\\!# ]/g, '\\$&')}`;
  if (ignored(root, path, line)) return { state: 'ignored', root };
  const gitignore = resolve(root, '.gitignore');
  const text = existsSync(gitignore) ? readFileSync(gitignore, 'utf8') : '';
  appendFileSync(gitignore, `${text === '' || text.endsWith('\n') ? '' : '\n'}# secrets written by ig-push init\n${line}\n`);
  return { state: 'added', root, line };
}
