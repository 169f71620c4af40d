// The push operation's hot path, in front of Express: for a POST to a push path it reads the body once,
// checks channel and signature, validates with validators precompiled from the bundled spec
// (push/push-validator.ts), stores, and answers 200 itself. A push it refuses, and every other request, goes
// on to the Express app, which renders the refusal through the one error handler (with the same request
// ID) exactly as the general path would. Why in front and not as Express's first middleware: entering
// Express (its request and response prototypes, the router's layers) cost more than everything the push
// itself does (README, Performance). With `fastPush` off, pushes take the express-openapi-validator
// path; test/server/fast-path-parity.test.ts proves both answer alike.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { Logger } from 'pino';
import { readRawBody, type BodyOptions } from './body.js';
import { channelById, decodeChanId, type ChannelSet } from './channels.js';
import { parameterMismatch, schemaViolation } from '../contract/errors.js';
import { eventsOf } from '../inbox/delivery-events.js';
import type { AppendResult, Inbox } from '../inbox/inbox.js';
import type { PushValidators } from './push-validator.js';
import { assignRequestId } from '../http/request-id.js';
import { setSecurityHeaders } from '../http/security-headers.js';
import { authenticateDelivery } from './authenticate.js';
import type { Channel } from './channels.js';
import { pushTarget } from './push-path.js';

export interface FastPushDeps {
  set: ChannelSet;
  inbox: Inbox;
  validators: PushValidators;
  body: BodyOptions;
  /** Says at debug level which pushes the hot path took, so an operator can see it is in use. */
  logger: Logger;
  /** Whether a request's Host may be served (the sandbox's DNS-rebinding guard); others go to Express. */
  hostAllowed: (host: string | undefined) => boolean;
  /** Told about each push answered 200 (server/metrics/: counter increments only). */
  onAccepted?: (channels: Channel[] | Channel, result: AppendResult) => void;
}

/** Hands a request to Express; with an error, Express answers that error (error-handler.ts). */
export type HandOver = (err?: unknown) => void;

/**
 * The hot path as a plain node:http handler. Returns false, having done nothing, for a request it does
 * not take; otherwise answers the push or hands it over with the refusal.
 */
export function fastPush({ set, inbox, validators, body, logger, hostAllowed, onAccepted }: FastPushDeps) {
  const acceptedLength = Buffer.byteLength(validators.acceptedBody);

  async function take(req: IncomingMessage, res: ServerResponse, rawChanId: string, query: string | undefined): Promise<void> {
    setSecurityHeaders(res);
    const requestId = assignRequestId(req, res, logger);
    logger.debug({ requestId }, 'push taken by the hot path');
    const chanId = rawChanId === '' ? undefined : decodeChanId(rawChanId);
    // Same order as the general path: the path's channel, the body's bytes, signature and parsing
    // (authenticateDelivery), then the contract's checks.
    const pathChannel = chanId === undefined ? undefined : channelById(set, chanId);
    const raw = await readRawBody(req, body);
    const channels = authenticateDelivery(set, req, raw, pathChannel, body.maxDepth);
    const badChanId = chanId === undefined ? null : validators.chanId(chanId);
    if (badChanId) throw parameterMismatch(badChanId);
    const queryName = query === undefined ? undefined : Object.keys(parseQuery(query))[0];
    if (queryName !== undefined) {
      throw parameterMismatch([{ path: `/query/${queryName}`, message: `Unknown query parameter '${queryName}'` }]);
    }
    const payload = (req as { body?: unknown }).body;
    const problems = validators.body(payload);
    if (problems) throw schemaViolation(problems);
    const result = await inbox.append(eventsOf(payload, channels), new Date());
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': acceptedLength });
    res.end(validators.acceptedBody);
    onAccepted?.(channels, result);
  }

  return (req: IncomingMessage, res: ServerResponse, handOver: HandOver): boolean => {
    if (req.method !== 'POST' || !hostAllowed(req.headers.host)) return false;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const rawChanId = pushTarget(q === -1 ? url : url.slice(0, q));
    if (rawChanId === undefined) return false;
    take(req, res, rawChanId, q === -1 ? undefined : url.slice(q + 1)).catch((err: unknown) => handOver(err ?? new Error('the push hot path failed')));
    return true;
  };
}
