// The reference server's read-back extension: GET /inbox/messages, behind the inbox token.
import type { NextFunction, Request, Response } from 'express';
import { sameSecret } from '../push/channels.js';
import { badRequest, unauthorized } from '../contract/errors.js';
import { closestName } from '../run/closest-name.js';
import { KIND_SPELLING, KINDS } from '../events/classify.js';
import { InvalidCursorError, type Inbox, type ListQuery } from '../inbox/inbox.js';
import { createLogger } from '../run/logger.js';
import { createServable, type Servable } from '../read/servable.js';
import { loadBundledSpec } from '../contract/spec.js';

/** Requires `Authorization: Bearer <token>` when a token is configured. */
export function requireInboxToken(token: string | undefined) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (token === undefined) return next();
    const header = req.headers.authorization ?? '';
    // The scheme is case-insensitive (RFC 9110 §11.1); the token is not.
    const given = /^bearer /i.test(header) ? header.slice('bearer '.length) : '';
    if (!sameSecret(given, token)) {
      throw unauthorized('unauthorized', 'Send the inbox token as "Authorization: Bearer <token>".', [{ path: '/headers/authorization', message: 'missing or wrong bearer token' }]);
    }
    next();
  };
}

/**
 * Refuses a `kind` filter no stored event can have: one of KINDS, or an attachment type as Meta spells
 * them (lower-case snake_case, which stored as sent keeps), else 400 naming the known kinds. So
 * `story-mention` or the old `quick reply` is a 400 that points at `story_mention`, not an empty page.
 */
export function checkKindFilter(kind: string | undefined): void {
  if (kind === undefined || (KINDS as readonly string[]).includes(kind) || KIND_SPELLING.test(kind)) return;
  throw badRequest('bad_request', `No event has the kind "${kind}" (did you mean "${closestName(kind, KINDS)}"?).`, [
    { path: '/query/kind', message: `unknown kind; the known kinds are ${KINDS.join(', ')}, and other attachment types as sent, in lower-case snake_case` },
  ]);
}

/**
 * Pages through the inbox, forward or back, with the filters the spec lists. A stored row that cannot
 * be served within the contract goes to `skipped` (see servable.ts) rather than failing the page.
 * `servable` defaults to one compiled from the bundled spec, logging to a default logger; the app
 * passes its own.
 */
export function listMessages(inbox: Inbox, servable: Servable = createServable({ spec: loadBundledSpec(), logger: createLogger() })) {
  return async (req: Request, res: Response): Promise<void> => {
    // Set first, so a refused cursor is not cached either.
    res.setHeader('Cache-Control', 'no-store');
    // The validator has checked every parameter against the spec (types, enums, lengths, the words of q).
    const one = (name: string) => (typeof req.query[name] === 'string' ? (req.query[name] as string) : undefined);
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
    const query: ListQuery = {
      limit,
      cursor: one('cursor'),
      channel: one('channel'),
      // Stored kinds hold U+FFFD where a sender's attachment type held NUL (classify.ts).
      kind: one('kind')?.replace(/\u0000/g, '\uFFFD'),
      direction: one('direction') as ListQuery['direction'],
      q: one('q'),
      order: one('order') as ListQuery['order'],
    };
    checkKindFilter(query.kind);
    let page;
    try {
      page = await inbox.list(query);
    } catch (err) {
      if (!(err instanceof InvalidCursorError)) throw err;
      throw badRequest('bad_request', 'The cursor is not one this server handed out.', [{ path: '/query/cursor', message: err.message }]);
    }
    res.json(servable.page(page));
  };
}
