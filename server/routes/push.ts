// POST push: resolve the channel, check the signature over the raw bytes, then store atomically.
// Channel and signature run before the spec validator, so an unsigned body is refused (401) before
// anyone reads its schema errors; the store write runs after it.
import type { NextFunction, Request, Response } from 'express';
import { channelById, channelsByEntry, type Channel, type ChannelSet } from '../channels.js';
import { unauthorized } from '../errors.js';
import { eventsOf } from '../inbox/events.js';
import type { Inbox } from '../inbox/inbox.js';
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

function checkSignature(req: Request, channels: Channel[]): void {
  const header = req.headers[SIGNATURE_HEADER];
  const value = Array.isArray(header) ? header[0] : header;
  const secrets = new Set(channels.map((c) => c.appSecret).filter((s): s is string => Boolean(s)));
  for (const secret of secrets) {
    const verdict = verifySignature(req.rawBody ?? Buffer.alloc(0), value, secret);
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

/** Decides the channel(s) of a parsed delivery and authenticates it; throws the ApiError to answer. */
export function authenticateDelivery(set: ChannelSet, req: Request, chanId: string | undefined): Channel[] | Channel {
  const channels = chanId !== undefined ? [channelById(set, chanId)] : channelsByEntry(set, entryIds(req.body));
  checkSignature(req, channels);
  return chanId !== undefined ? channels[0]! : channels;
}

/** Runs before the spec validator on the validator path. */
export function authenticatePush(set: ChannelSet) {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.locals.channels = authenticateDelivery(set, req, typeof req.params.chanId === 'string' ? req.params.chanId : undefined);
    next();
  };
}

/** Runs after the spec validator: stores the delivery, then answers 200. */
export function storePush(inbox: Inbox) {
  return async (req: Request, res: Response): Promise<void> => {
    const events = eventsOf(req.body, res.locals.channels!);
    await inbox.append(events, new Date());
    res.json({ resultMsg: '200' });
  };
}
