// createApp: the reference server as an Express 5 app, with everything it needs passed in.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { channelSet, type Channel } from './push/channels.js';
import { builtAsset } from './contract/assets.js';
import { rawBody } from './push/body.js';
import { connectionGuard } from './http/connection-guard.js';
import { noRoute } from './contract/errors.js';
import { errorHandler } from './http/error-handler.js';
import { hostAllowed, hostCheck } from './http/host-check.js';
import type { AppendResult, Inbox } from './inbox/inbox.js';
import { createLogger } from './run/logger.js';
import { RefusalLog } from './read/refusal-log.js';
import { requestId } from './http/request-id.js';
import { toOriginForm } from './http/request-target.js';
import { consoleRoutes } from './routes/console.js';
import { inboxFeed } from './routes/feed.js';
import { handshake } from './routes/handshake.js';
import { listMessages } from './routes/inbox.js';
import { requireInboxToken } from './http/token-realms.js';
import { createServable } from './read/servable.js';
import { opsRoutes } from './routes/ops.js';
import { authenticatePush, resolvePathChannel, storePush } from './routes/push.js';
import { fastPush } from './push/fast-path.js';
import { PUSH_PATH, PUSH_ROUTES } from './push/push-path.js';
import { compilePushValidators } from './push/push-validator.js';
import { compiledPerSpec } from './contract/compiled-per-spec.js';
import { securityHeaders } from './http/security-headers.js';
import { loadBundledSpec, type OpenApiDocument } from './contract/spec.js';
import { specValidator } from './contract/validator.js';
import { countRefusals, countResponses, inboxRates, metricsEndpoint } from './metrics/routes.js';
import { createServerMetrics, type ServerMetrics } from './metrics/server-metrics.js';
import { relayGuard, relayRoutes, type RelayApi } from './relay/routes.js';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
export const DEFAULT_MAX_DEPTH = 32;

export interface AppOptions {
  inbox: Inbox;
  /** Configured channels; leave undefined for the open sandbox (any channel, no signature, any token). */
  channels?: Channel[];
  inboxToken?: string;
  logger?: Logger;
  bodyLimit?: number;
  maxDepth?: number;
  /** Validate every JSON response against the spec (default true). */
  validateResponses?: boolean;
  /**
   * Serve pushes on the precompiled hot path (default true). Off, pushes take the general
   * express-openapi-validator path like every other operation; both answer alike.
   */
  fastPush?: boolean;
  spec?: OpenApiDocument;
  refusals?: RefusalLog;
  docsFile?: URL;
  /** The built inbox console folder (default dist/console/). */
  consoleDir?: URL;
  /** How often the live feed polls the inbox for new events (ms). */
  feedPollMs?: number;
  /** A page's and a feed backlog's byte budget (the stored events' JSON text). */
  pageMaxBytes?: number;
  /** Searches (GET /inbox/messages with `q`) running at once; one more is answered 503. */
  searchConcurrency?: number;
  /**
   * Host names (lower-case, without port) this app answers; any other Host gets 400. Undefined answers
   * every Host. serve() restricts the open sandbox to loopback names (DNS rebinding).
   */
  allowedHosts?: readonly string[];
  /** Where the app counts (server/metrics/); default a registry of its own, without process metrics. */
  metrics?: ServerMetrics;
  /** Serves GET /metrics on this app's port for `Authorization: Bearer <metricsToken>`; unset, /metrics is 404. */
  metricsToken?: string;
  /** Refusals are logged as the first of each reason, then a count per reason every this many ms (default 10 s). */
  refusalLogIntervalMs?: number;
  /** Extra routes mounted before the contract (the inbox console adds its page and feed here). */
  /** The relay's API (server/relay/routes.ts); without it /relay/* answers 404. */
  relay?: RelayApi;
  /** Guards the relay's actions. */
  adminToken?: string;
  extraRoutes?: (app: Express, deps: { inbox: Inbox; refusals: RefusalLog; inboxToken?: string; logger: Logger }) => void;
}

export interface ReferenceApp extends Express {
  /** Sends one request per operation through the app and fails if the validator is not working. */
  warmUp(): Promise<void>;
  /** Ends the open live-feed streams (shutdown calls this; a stream never ends on its own). */
  endStreams(): void;
  /** What this app counts; its registry renders /metrics. */
  metrics: ServerMetrics;
}

type ExpressHandle = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

// One compile per spec for every app in the process (the test suites start hundreds).
const pushValidatorsFor = compiledPerSpec(compilePushValidators);

export function createApp(options: AppOptions): ReferenceApp {
  const logger = options.logger ?? createLogger();
  const spec = options.spec ?? loadBundledSpec();
  const refusals = options.refusals ?? new RefusalLog();
  const set = channelSet(options.channels);
  const bodyOptions = { limit: options.bodyLimit ?? DEFAULT_BODY_LIMIT, maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH };
  let warm = false;
  // Warm-up requests carry this per-app nonce so they are not recorded as refusals.
  const warmUpNonce = randomUUID();
  const isWarmUp = (req: Request) => req.headers['x-warm-up'] === warmUpNonce;
  const metrics = options.metrics ?? createServerMetrics({ channelIds: options.channels?.map((c) => c.id), processMetrics: false });
  const pushAccepted = metrics.push.acceptedDelivery.bind(metrics.push);

  /** Refusals the push hot path hands to Express, by request. */
  const handedOver = new WeakMap<IncomingMessage, unknown>();

  const app = express() as unknown as ReferenceApp;
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  // The contract's paths, exactly: no trailing slash, no other letter case (Express allows both by default).
  app.set('strict routing', true);
  app.set('case sensitive routing', true);

  app.use(connectionGuard());
  app.use(securityHeaders());
  app.use(requestId(logger));
  app.use(countResponses(metrics, isWarmUp));
  if (options.allowedHosts) app.use(hostCheck(options.allowedHosts));
  // A push the hot path refused arrives here with its refusal, rendered by the error handler below.
  app.use((req: Request, _res: Response, next: NextFunction) => next(handedOver.get(req)));
  app.use(
    opsRoutes({
      inbox: options.inbox,
      spec,
      docsFile: options.docsFile ?? builtAsset('docs/index.html'),
      isWarm: () => warm,
    }),
  );
  if (options.metricsToken) app.get('/metrics', metricsEndpoint(metrics.registry, options.metricsToken));
  app.use(consoleRoutes(options.consoleDir ?? builtAsset('console/')));
  options.extraRoutes?.(app, { inbox: options.inbox, refusals, inboxToken: options.inboxToken, logger });
  // A push's channel is known from the path before its body is read; its signature is checked over
  // the bytes before they are parsed (push/authenticate.ts). No other operation takes a body: elsewhere a
  // body is never read, and the answer closes the connection (http/connection-guard.ts).
  app.post(PUSH_ROUTES, resolvePathChannel(set), rawBody(bodyOptions), authenticatePush(set, bodyOptions.maxDepth));
  app.use('/inbox', requireInboxToken(options.inboxToken));
  app.use('/relay', relayGuard(options.inboxToken, options.adminToken));
  app.use(specValidator(spec, { validateResponses: options.validateResponses ?? true }));
  app.post(PUSH_ROUTES, storePush(options.inbox, pushAccepted));
  app.get(PUSH_ROUTES, handshake(set));
  // Stored rows that cannot be served within the contract are listed apart, never a 500 for the page.
  const servable = createServable({ spec, logger });
  app.get('/inbox/messages', listMessages(options.inbox, servable, { pageMaxBytes: options.pageMaxBytes, searchConcurrency: options.searchConcurrency }));
  app.get('/inbox/rates', inboxRates(metrics));
  if (options.relay) app.use(relayRoutes({ logger, ...options.relay }));
  const streams = new Set<Response>();
  app.get('/inbox/events', inboxFeed({ inbox: options.inbox, refusals, pollMs: options.feedPollMs, pageMaxBytes: options.pageMaxBytes, streams, logger, serveItem: servable.item }));
  metrics.watch({ streamsOpen: () => streams.size, refusalLogEntries: () => refusals.size, refusalLogBytes: () => refusals.bytes, ready: async () => warm && (await options.inbox.ready()) });
  app.metrics = metrics;
  app.endStreams = () => {
    for (const res of streams) res.end();
  };
  app.use((_req: Request, _res: Response, next: NextFunction) => next(noRoute()));
  app.use(countRefusals(metrics));
  app.use(errorHandler({ logger, refusals, isWarmUp, refusalLogIntervalMs: options.refusalLogIntervalMs }));

  // Pushes the hot path answers never reach Express, where every other response is counted.
  const fastAccepted = (channels: Channel[] | Channel, result: AppendResult) => {
    pushAccepted(channels, result);
    metrics.requests.pushOk.value++;
  };
  const hot = (options.fastPush ?? true)
    ? fastPush({ set, inbox: options.inbox, validators: pushValidatorsFor(spec), body: bodyOptions, logger, hostAllowed: hostAllowed(options.allowedHosts), onAccepted: fastAccepted })
    : undefined;
  // Express 5's app function calls app.handle for every request: wrapping it puts the hot path (and the
  // target's normal form) in front of Express, whoever serves the app (main.ts, a test's server, a user's own).
  const expressHandle = (app as unknown as { handle: ExpressHandle }).handle.bind(app);
  (app as unknown as { handle: ExpressHandle }).handle = (req, res, next) => {
    toOriginForm(req);
    const taken = hot?.(req, res, (err) => {
      if (err !== undefined) handedOver.set(req, err);
      expressHandle(req, res, next);
    });
    if (!taken) expressHandle(req, res, next);
  };

  app.warmUp = async () => {
    const { default: http } = await import('node:http');
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      // A handshake with a wrong mode must be refused by the validator with 400, not 500 ("apiDoc was invalid").
      const r = await fetch(`http://127.0.0.1:${port}${PUSH_PATH}?hub.mode=warm-up&hub.verify_token=x&hub.challenge=1`, { headers: { 'x-warm-up': warmUpNonce } });
      if (r.status !== 400) throw new Error(`warm-up: the spec validator is not working (handshake answered ${r.status}: ${await r.text()})`);
      const p = await fetch(`http://127.0.0.1:${port}/inbox/messages?limit=0`, {
        headers: { 'x-warm-up': warmUpNonce, ...(options.inboxToken ? { authorization: `Bearer ${options.inboxToken}` } : {}) },
      });
      if (p.status !== 400) throw new Error(`warm-up: the spec validator is not working (inbox answered ${p.status})`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    warm = true;
  };
  return app;
}
