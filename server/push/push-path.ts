// The push operation's URL, spelled once: the hot path, the Express routes, the error handler, the
// metrics and the console's page all take it from here. Pure and DOM-free (the console bundles it).

/** The push path without a channel; `${PUSH_PATH}/{chanId}` names the channel. */
export const PUSH_PATH = '/apiaccess/api/instagram/message';

/** The path with a channel, as the spec spells it (its key under `paths`). */
export const PUSH_SPEC_PATH = `${PUSH_PATH}/{chanId}`;

/** Both push paths as Express routes. */
export const PUSH_ROUTES = [PUSH_PATH, `${PUSH_PATH}/:chanId`];

const escaped = PUSH_PATH.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** A push path as Express matches it (a trailing slash allowed), with or without a channel. */
const PUSH_PATH_PATTERN = new RegExp(`^${escaped}(\\/[^/]+)?\\/?$`);
const CHANNEL_PATH_PATTERN = new RegExp(`^${escaped}\\/([^/]+)\\/?$`);

/** Whether Express would route this path to a push operation. */
export function isPushPath(path: string): boolean {
  return PUSH_PATH_PATTERN.test(path);
}

/** The path's channel, decoded when it can be (as sent when it cannot); null on the path without one. */
export function channelInPath(path: string): string | null {
  const m = CHANNEL_PATH_PATTERN.exec(path);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return m[1]!;
  }
}

/** Whether a path is the push path or anything under it (the metrics' `push` and `handshake` operations). */
export function underPushPath(path: string): boolean {
  return path === PUSH_PATH || path.startsWith(`${PUSH_PATH}/`);
}

/** The chanId of a push URL exactly as the contract has it (empty string for the path without one), or undefined. */
export function pushTarget(path: string): string | undefined {
  if (!path.startsWith(PUSH_PATH)) return undefined;
  const rest = path.slice(PUSH_PATH.length);
  if (rest === '') return '';
  // Exactly one non-empty segment: the contract has no `/message/` nor `/message/a/b` (nor a trailing slash).
  if (rest[0] !== '/' || rest.length === 1 || rest.indexOf('/', 1) !== -1) return undefined;
  return rest.slice(1);
}
