// The text search of GET /inbox/messages (`q`), in one place for both stores and the console: which
// words a search holds, how a store matches one (LIKE / ILIKE over the event's JSON text), and the same
// match in the browser for live events, so a live event shows under a search exactly when a page from
// the server would hold it. DOM-free and Node-free: the console bundles it.

/** The most words a search takes (the spec's `q` pattern says so too). */
export const MAX_SEARCH_WORDS = 8;

/** The words of a search: split on white space, each once, at most MAX_SEARCH_WORDS. */
export function searchWords(q: string | undefined): string[] {
  if (!q) return [];
  return [...new Set(q.split(/\s+/).filter(Boolean))].slice(0, MAX_SEARCH_WORDS);
}

/** A LIKE pattern matching `word` anywhere, its wildcards escaped with a backslash. */
export function likePattern(word: string): string {
  return `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Lower-cases ASCII letters only, as the stores compare (SQLite's LIKE; PostgreSQL's ILIKE in the C
 * collation, which a database in another locale extends to its other letters).
 */
export function foldCase(text: string): string {
  return text.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** The text a search runs over: the stored event's compact JSON, as the stores keep it. */
export function searchTextOf(event: unknown): string {
  return foldCase(JSON.stringify(event) ?? '');
}

/** True when `text` (already folded) holds every word. */
export function matchesWords(text: string, words: readonly string[]): boolean {
  return words.every((w) => text.includes(foldCase(w)));
}
