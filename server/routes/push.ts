// POST push on the general path, through Express: the channel the path names before the body is read,
// then the steps both push paths share (push/authenticate.ts) once rawBody() has read the bytes, the spec
// validator, and the store. The hot path in front of Express (push/fast-path.ts) takes the same steps.
import type { NextFunction, Request, Response } from 'express';
import { channelById, type Channel, type ChannelSet } from '../push/channels.js';
import { authenticateDelivery } from '../push/authenticate.js';
import { eventsOf } from '../inbox/delivery-events.js';
import type { AppendResult, Inbox } from '../inbox/inbox.js';

declare module 'express-serve-static-core' {
  interface Locals {
    /** The channel of each entry (or the one channel named by the path). */
    channels?: Channel[] | Channel;
  }
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
