// "Did you mean …?" for names a user types (kinds, options): the closest candidate by edit distance,
// when it is close enough to be a typo (as commander judges commands and options).

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      // A swap of two neighbours counts as one edit.
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The candidate closest to `word`, when within a third of its length (at least one edit); else undefined. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(word.length / 3));
  for (const c of candidates) {
    const dist = distance(word.toLowerCase(), c.toLowerCase());
    if (dist <= bestDistance && (best === undefined || dist < distance(word.toLowerCase(), best.toLowerCase()))) {
      best = c;
      bestDistance = dist;
    }
  }
  return best;
}

/** ` (did you mean x?)`, or nothing. */
export const didYouMean = (word: string, candidates: readonly string[]) => {
  const c = closest(word, candidates);
  return c === undefined ? '' : ` (did you mean ${c}?)`;
};
