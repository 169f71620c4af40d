// Pieces the config file's JSON schema is built from, shared by config.ts and the relay's
// destinations.ts, so that what an ID is and what a closed object is are each said once.

/** What names a channel or a destination: it travels in URL paths, so unreserved characters only. */
export const ID_SCHEMA = { type: 'string', pattern: '^[A-Za-z0-9._~-]{1,128}$' } as const;

/** An object whose unknown keys are errors: a misspelt key must not be ignored in silence. */
export function closedObject(properties: Record<string, unknown>, required: string[] = []): object {
  return { type: 'object', additionalProperties: false, ...(required.length > 0 ? { required } : {}), properties };
}
