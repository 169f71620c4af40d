// The relay's HTTP API (openapi/paths/relay_*.yaml): reading forwards and destinations with the inbox
// token, replaying and pausing with the admin token. The guard runs before the spec validator, as the
// inbox's does, so an unauthorised caller learns nothing from validation errors.
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { bearerGuard } from '../http/bearer-guard.js';
import { adminRealm, requireInboxToken } from '../http/token-realms.js';
import { conflict, notFound } from '../contract/errors.js';
import type { LiveDestination } from './forwarder.js';
import type { DestinationStatus, ForwardState, Outbox } from './outbox.js';

export interface RelayApi {
  outbox: Outbox;
  adminToken?: string;
  /** Each configured destination as this instance sees it: URL, circuit, last error, next attempt (forwarder.ts). */
  live(): Record<string, LiveDestination>;
  /** Where an operator's discard is recorded. */
  logger?: Pick<Logger, 'warn'>;
}

/** A stored destination with what this instance knows of it; one another instance configures has no URL here. */
function withLive(d: DestinationStatus, live: Record<string, LiveDestination>) {
  const l = live[d.id];
  return { ...d, circuit: l?.circuit ?? 'closed', url: l?.url ?? null, lastError: l?.lastError ?? null, nextAttemptAt: l?.nextAttemptAt ?? null };
}

/** GETs need the inbox token (when one is configured); every action needs the admin token, always. */
export function relayGuard(inboxToken: string | undefined, adminToken: string | undefined) {
  const read = requireInboxToken(inboxToken);
  const act = bearerGuard(adminRealm(adminToken));
  return (req: Request, res: Response, next: NextFunction): void => (req.method === 'POST' ? act : read)(req, res, next);
}

const one = (req: Request, name: string) => (typeof req.query[name] === 'string' ? (req.query[name] as string) : undefined);

/** The handlers, mounted after the spec validator: every parameter has been checked against the spec. */
export function relayRoutes(api: RelayApi): Router {
  const router = Router({ strict: true, caseSensitive: true });
  const { outbox } = api;
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  // Pause, resume and replay act on configured destinations only; a removed one's forwards are held (discard ends them).
  const destination = async (id: string) => {
    const found = (await outbox.status()).find((d) => d.id === id && d.configured);
    if (!found) throw notFound('not_found', `No destination is configured with the ID "${id}".`, [{ path: '/path/destinationId', message: 'unknown destination' }]);
    return withLive(found, api.live());
  };

  router.get('/relay/forwards', async (req, res) => {
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
    const before = one(req, 'before');
    // The validator made `eventId` an array (one value or many); the spec bounds it to 100 ids.
    const eventIds = req.query.eventId === undefined ? undefined : ([] as string[]).concat(req.query.eventId as string | string[]).map(Number);
    const items = await outbox.list({ state: one(req, 'state') as ForwardState | undefined, destination: one(req, 'destination'), channel: one(req, 'channel'), before: before === undefined ? undefined : Number(before), eventIds, limit });
    res.json({ items, ...(items.length === limit ? { nextBefore: items.at(-1)!.eventId } : {}) });
  });
  router.get('/relay/destinations', async (_req, res) => {
    const live = api.live();
    res.json({ items: (await outbox.status()).map((d) => withLive(d, live)) });
  });
  for (const [action, paused] of [['pause', true], ['resume', false]] as const) {
    router.post(`/relay/destinations/:destinationId/${action}`, async (req, res) => {
      const id = req.params.destinationId as string;
      await destination(id);
      await outbox.setPaused(id, paused);
      res.json(await destination(id));
    });
  }
  router.post('/relay/destinations/:destinationId/replay', async (req, res) => {
    const id = req.params.destinationId as string;
    await destination(id);
    const since = one(req, 'since');
    const until = one(req, 'until');
    const replayed = await outbox.replayDead({ destination: id, since: since ? new Date(since) : undefined, until: until ? new Date(until) : undefined }, Date.now());
    res.json({ replayed });
  });
  router.post('/relay/destinations/:destinationId/discard', async (req, res) => {
    const id = req.params.destinationId as string;
    if (!(await outbox.status()).some((d) => d.id === id)) throw notFound('not_found', `No destination has the ID "${id}" or forwards still held.`, [{ path: '/path/destinationId', message: 'unknown destination' }]);
    const result = await outbox.discard(id);
    if (result.configured) {
      throw conflict(`The destination "${id}" is configured, so its forwards are being sent, not held; remove it from every instance's configuration before discarding them.`, [{ path: '/path/destinationId', message: 'destination is configured' }]);
    }
    api.logger?.warn({ destination: id, discarded: result.discarded }, `relay: an operator discarded ${result.discarded} held forward(s) of ${id}, a destination no longer configured; they are dead (replayable once it is configured again)`);
    res.json({ discarded: result.discarded });
  });
  router.post('/relay/events/:eventId/replay', async (req, res) => {
    const replayed = await outbox.replayEvent(Number(req.params.eventId), one(req, 'destination'));
    if (replayed === 0) throw notFound('not_found', `No forward of event ${req.params.eventId as string} matches.`, [{ path: '/path/eventId', message: 'no such forward' }]);
    res.json({ replayed });
  });
  return router;
}
