// The reference server's read-back extension: GET /inbox/messages, behind the inbox token.
import type { NextFunction, Request, Response } from 'express';
import { sameSecret } from '../channels.js';
import { badRequest, unauthorized } from '../errors.js';
import { InvalidCursorError, type Inbox } from '../inbox/inbox.js';

/** Requires `Authorization: Bearer <token>` when a token is configured. */
export function requireInboxToken(token: string | undefined) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (token === undefined) return next();
    const header = req.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    if (!sameSecret(given, token)) {
      throw unauthorized('unauthorized', 'Send the inbox token as "Authorization: Bearer <token>".', [{ path: '/headers/authorization', message: 'missing or wrong bearer token' }]);
    }
    next();
  };
}

export function listMessages(inbox: Inbox) {
  return async (req: Request, res: Response): Promise<void> => {
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
    const cursor = typeof req.query.cursor === 'string' ? req.query.cursor : undefined;
    const channel = typeof req.query.channel === 'string' ? req.query.channel : undefined;
    try {
      res.json(await inbox.list({ channel, limit, cursor }));
    } catch (err) {
      if (!(err instanceof InvalidCursorError)) throw err;
      throw badRequest('bad_request', 'The cursor is not one this server handed out.', [{ path: '/query/cursor', message: err.message }]);
    }
  };
}
