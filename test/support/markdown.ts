// Reads Markdown the way the forge renders it, for the documentation tests: the links a reader can
// follow and the anchors its headings get. Fenced and inline code are not Markdown, so they are skipped.

export interface MarkdownLink {
  target: string;
  line: number;
}

/** Lines outside fenced code blocks, each with inline code spans blanked out. */
function proseLines(text: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let fence: string | undefined;
  text.split('\n').forEach((raw, i) => {
    const marker = /^\s*(```+|~~~+)/.exec(raw)?.[1];
    if (marker !== undefined) {
      if (fence === undefined) fence = marker[0];
      else if (marker[0] === fence) fence = undefined;
      return;
    }
    if (fence === undefined) out.push({ text: raw.replace(/`[^`]*`/g, (m) => ' '.repeat(m.length)), line: i + 1 });
  });
  return out;
}

export function linksOf(text: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  for (const { text: prose, line } of proseLines(text)) {
    for (const m of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ target: m[1]!, line });
  }
  return links;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  const fenced = new Set(proseLines(text).map((l) => l.line));
  text.split('\n').forEach((raw, i) => {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(raw);
    if (!m || !fenced.has(i + 1)) return;
    const base = m[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  });
  return anchors;
}
