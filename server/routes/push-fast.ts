// The push operation's hot path: one handler in front of the router that reads the body once, checks
// channel and signature, validates with validators precompiled from the spec (push-validator.ts), stores,
// and answers. It saves the per-request route matching and middleware chain that dominate the cost of a
// push (see README, Performance). Every other request, and pushes when `fastPush` is off, take the
// express-openapi-validator path; test/server/fast-path-parity.test.ts proves both answer alike.
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { readRawBody, type BodyOptions } from '../body.js';
import { channelById, decodeChanId, type ChannelSet } from '../channels.js';
import { ApiError, badRequest } from '../errors.js';
import { eventsOf } from '../inbox/events.js';
import type { Inbox } from '../inbox/inbox.js';
import type { PushValidators } from '../push-validator.js';
import { authenticateDelivery } from './push.js';

export const PUSH_PREFIX = '/apiaccess/api/instagram/message';

/** The chanId of a push URL (empty string for the path without one), or undefined if not a push path. */
export function pushTarget(path: string): string | undefined {
  if (!path.startsWith(PUSH_PREFIX)) return undefined;
  const rest = path.slice(PUSH_PREFIX.length);
  if (rest === '') return '';
  // Exactly one non-empty segment: the contract has no `/message/` nor `/message/a/b` (nor a trailing slash).
  if (rest[0] !== '/' || rest.length === 1 || rest.indexOf('/', 1) !== -1) return undefined;
  return rest.slice(1);
}

export interface FastPushDeps {
  set: ChannelSet;
  inbox: Inbox;
  validators: PushValidators;
  body: BodyOptions;
  /** Says at debug level which pushes the hot path took, so an operator can see it is in use. */
  logger: Logger;
}

export function fastPush({ set, inbox, validators, body, logger }: FastPushDeps) {
  const acceptedLength = Buffer.byteLength(validators.acceptedBody);
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (req.method !== 'POST') return next();
    const rawChanId = pushTarget(req.path);
    if (rawChanId === undefined) return next();
    logger.debug({ requestId: res.locals.requestId }, 'push taken by the hot path');
    const chanId = rawChanId === '' ? undefined : decodeChanId(rawChanId);
    // Same order as the general path: the path's channel, the body's bytes, signature and parsing
    // (authenticateDelivery), then the contract's checks.
    const pathChannel = chanId === undefined ? undefined : channelById(set, chanId);
    const raw = await readRawBody(req, body);
    const channels = authenticateDelivery(set, req, raw, pathChannel, body.maxDepth);
    const badChanId = chanId === undefined ? null : validators.chanId(chanId);
    if (badChanId) throw new ApiError(400, 'bad_request', 'A request parameter does not match the API contract.', badChanId);
    const queryNames = Object.keys(req.query as object);
    if (queryNames.length > 0) {
      throw badRequest('bad_request', 'A request parameter does not match the API contract.', [{ path: `/query/${queryNames[0]}`, message: `Unknown query parameter '${queryNames[0]}'` }]);
    }
    const problems = validators.body(req.body);
    if (problems) throw new ApiError(400, 'schema_violation', 'The request body does not match the schema.', problems);
    await inbox.append(eventsOf(req.body, channels), new Date());
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': acceptedLength });
    res.end(validators.acceptedBody);
  };
}
