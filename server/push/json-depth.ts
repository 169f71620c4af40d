// Measures a JSON text's shape without parsing it, so hostile bodies are refused before JSON.parse or any
// validator recurses into them: a 100k-deep array would blow the stack there, and a megabyte of 350 000
// empty objects costs JSON.parse a fifth of a second of blocked event loop, against a few milliseconds here.

export type JsonShapeProblem = 'too_deep' | 'too_many_containers';

/**
 * Objects and arrays one delivery may hold: 50 per event of the 1000 a delivery may carry, far above any
 * genuine delivery (an event with attachments, a reply and a referral holds about a dozen).
 */
export const MAX_CONTAINERS = 50_000;

/** The first problem of `text`'s shape: nesting deeper than `maxDepth`, or more than `maxContainers` objects and arrays. */
export function jsonShapeProblem(text: string, maxDepth: number, maxContainers = MAX_CONTAINERS): JsonShapeProblem | null {
  let depth = 0;
  let containers = 0;
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
      if (++depth > maxDepth) return 'too_deep';
      if (++containers > maxContainers) return 'too_many_containers';
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return null;
}

/** Returns true when `text` nests objects/arrays deeper than `max`; strings are skipped, escapes honoured. */
export function nestsDeeperThan(text: string, max: number): boolean {
  return jsonShapeProblem(text, max, Infinity) === 'too_deep';
}
