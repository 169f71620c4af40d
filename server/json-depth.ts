// Measures how deeply a JSON text nests without parsing it, so hostile bodies are refused before
// JSON.parse or any validator recurses into them (a 100k-deep array would blow the stack there).

/** Returns true when `text` nests objects/arrays deeper than `max`; strings are skipped, escapes honoured. */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) return true;
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return false;
}
