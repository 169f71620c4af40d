// POST push on the general path, and the steps both push paths share: find the channel, check the
// signature over the raw bytes, check the delivery's limits, store. When the path names the channel,
// the channel is known before the body is read and the signature is checked before anything parses
// it, so an unsigned megabyte costs a hash, not a parse. Without a chanId the channel comes from
// entry[].id, which needs the parsed body. Channel and signature run before the spec validator, so an
// unsigned body is refused (401) before anyone reads its schema errors.
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { parseJsonBody } from '../body.js';
import { channelById, channelsByEntry, type Channel, type ChannelSet } from '../channels.js';
import { deliveryLimitProblems } from '../delivery-limits.js';
import { ApiError, unauthorized } from '../errors.js';
import { eventsOf } from '../inbox/events.js';
import type { AppendResult, Inbox } from '../inbox/inbox.js';
import { SIGNATURE_HEADER, verifySignature } from '../signature.js';

declare module 'express-serve-static-core' {
  interface Locals {
    /** The channel of each entry (or the one channel named by the path). */
    channels?: Channel[] | Channel;
  }
}

function entryIds(body: unknown): (string | undefined)[] {
  const entry = (body as { entry?: unknown } | null)?.entry;
  if (!Array.isArray(entry)) return [];
  return entry.map((e) => (typeof (e as { id?: unknown })?.id === 'string' ? (e as { id: string }).id : undefined));
}

/** Throws the 401 to answer unless `raw` is signed for every channel that has an app secret. */
export function checkSignature(req: IncomingMessage, raw: Buffer, channels: Channel[]): void {
  // Node joins a repeated header of this name into one string.
  const value = req.headers[SIGNATURE_HEADER] as string | undefined;
  const secrets = new Set(channels.map((c) => c.appSecret).filter((s): s is string => Boolean(s)));
  for (const secret of secrets) {
    const verdict = verifySignature(raw, value, secret);
    if (verdict === 'missing') {
      throw unauthorized('missing_signature', 'The X-Hub-Signature-256 header is required for this channel.', [
        { path: '/headers/x-hub-signature-256', message: 'missing' },
      ]);
    }
    if (verdict === 'mismatch') {
      throw unauthorized('bad_signature', "The X-Hub-Signature-256 header does not match the request body for this channel's app secret.", [
        { path: '/headers/x-hub-signature-256', message: 'signature does not match' },
      ]);
    }
  }
}

/**
 * Authenticates a delivery whose bytes are read: with a path channel, signature first, then parse;
 * without, parse, route each entry, then signature. Then the limits the schema cannot state.
 * Sets `req.body`; returns the channel(s) to store under; throws the ApiError to answer.
 */
export function authenticateDelivery(set: ChannelSet, req: IncomingMessage & { body?: unknown }, raw: Buffer, pathChannel: Channel | undefined, maxDepth: number): Channel[] | Channel {
  if (pathChannel) checkSignature(req, raw, [pathChannel]);
  const value = parseJsonBody(raw, maxDepth);
  req.body = value;
  let channels: Channel[] | Channel;
  if (pathChannel) {
    channels = pathChannel;
  } else {
    channels = channelsByEntry(set, entryIds(value));
    checkSignature(req, raw, channels);
  }
  const problems = deliveryLimitProblems(value);
  if (problems) throw new ApiError(400, 'schema_violation', 'The request body does not match the schema.', problems);
  return channels;
}

/** General path, before the body is read: the channel the path names (404/401 without reading a byte). */
export function resolvePathChannel(set: ChannelSet) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (typeof req.params.chanId === 'string') res.locals.channels = channelById(set, req.params.chanId);
    next();
  };
}

/** General path, after the body's bytes are read and before the spec validator. */
export function authenticatePush(set: ChannelSet, maxDepth: number) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const pathChannel = res.locals.channels as Channel | undefined;
    // rawBody() has read the bytes before this runs.
    res.locals.channels = authenticateDelivery(set, req, req.rawBody!, pathChannel, maxDepth);
    next();
  };
}

/** Runs after the spec validator: stores the delivery, then answers 200. */
export function storePush(inbox: Inbox, onAccepted?: (channels: Channel[] | Channel, result: AppendResult) => void) {
  return async (req: Request, res: Response): Promise<void> => {
    const events = eventsOf(req.body, res.locals.channels!);
    const result = await inbox.append(events, new Date());
    res.json({ resultMsg: '200' });
    onAccepted?.(res.locals.channels!, result);
  };
}
