// The reference server's read-back extension: GET /inbox/messages, behind the inbox token.
import type { NextFunction, Request, Response } from 'express';
import { ApiError, badRequest } from '../contract/errors.js';
import { closestName } from '../run/closest-name.js';
import { KIND_SPELLING, KINDS } from '../events/classify.js';
import { StreamSlots } from '../read/feed-limits.js';
import { DEFAULT_PAGE_MAX_BYTES, InvalidCursorError, type Inbox, type ListQuery } from '../inbox/inbox.js';
import { createLogger } from '../run/logger.js';
import { createServable, type Servable } from '../read/servable.js';
import { loadBundledSpec } from '../contract/spec.js';

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
 * Searches (requests with `q`) running at once by default; one more is answered 503. One: on PostgreSQL a
 * search's scan takes a core of the database's CPU, and two looping searches cut pushes by half on 2
 * cores (test/bench/reads.ts); one left them about 75%.
 */
export const DEFAULT_SEARCH_CONCURRENCY = 1;
/** A search is over in well under a second: worth retrying soon. */
const SEARCH_RETRY_AFTER_S = 1;

export interface ListLimits {
  /** The page's byte budget (the stored events' JSON text); default DEFAULT_PAGE_MAX_BYTES. */
  pageMaxBytes?: number;
  /** Searches running at once; default DEFAULT_SEARCH_CONCURRENCY. */
  searchConcurrency?: number;
}

/** The search limit's answer: the spec's 503, with Retry-After. */
export function tooManySearches(): ApiError {
  return new ApiError(503, 'store_unavailable', 'Too many searches are running on this server. Retry after the seconds Retry-After gives.', [], {
    'Retry-After': String(SEARCH_RETRY_AFTER_S),
  });
}

/**
 * Pages through the inbox, forward or back, with the filters the spec lists. A stored row that cannot
 * be served within the contract goes to `skipped` (see servable.ts) rather than failing the page.
 * `servable` defaults to one compiled from the bundled spec, logging to a default logger; the app
 * passes its own.
 */
export function listMessages(
  inbox: Inbox,
  servable: Servable = createServable({ spec: loadBundledSpec(), logger: createLogger() }),
  { pageMaxBytes = DEFAULT_PAGE_MAX_BYTES, searchConcurrency = DEFAULT_SEARCH_CONCURRENCY }: ListLimits = {},
) {
  // A search may read every stored event; a few at once keep the reads' connections (and CPU) for the rest.
  const searches = new StreamSlots(searchConcurrency);
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
      maxBytes: pageMaxBytes,
    };
    checkKindFilter(query.kind);
    const search = query.q !== undefined;
    if (search && !searches.take()) throw tooManySearches();
    let page;
    try {
      page = await inbox.list(query);
    } catch (err) {
      if (!(err instanceof InvalidCursorError)) throw err;
      throw badRequest('bad_request', 'The cursor is not one this server handed out.', [{ path: '/query/cursor', message: err.message }]);
    } finally {
      if (search) searches.release();
    }
    res.json(servable.page(page));
  };
}
