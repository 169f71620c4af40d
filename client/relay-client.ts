// createRelayClient: the reference server's relay API (list forwards and destinations, replay, pause,
// resume), typed by the spec. Reading takes the inbox token, acting the admin token.
import createClient from 'openapi-fetch';
import type { paths } from '../generated/schema.js';
import { networkErrorMessage } from './network-error.js';
import { PushError } from './push-error.js';
import type { ErrorBody, RelayDestination, RelayForwardPage } from './types.js';

export interface RelayClientOptions {
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`: the inbox token to read, the admin token to act. */
  token?: string;
  fetch?: (request: Request) => Promise<Response>;
}

export interface ForwardFilter {
  state?: 'pending' | 'retrying' | 'delivered' | 'dead';
  destination?: string;
  channel?: string;
  before?: string;
  /** Only the forwards of these events (inbox ids, at most 100). */
  eventId?: string[];
  limit?: number;
}

export interface RelayClient {
  destinations(): Promise<RelayDestination[]>;
  forwards(filter?: ForwardFilter): Promise<RelayForwardPage>;
  pause(destination: string): Promise<RelayDestination>;
  resume(destination: string): Promise<RelayDestination>;
  /** Every dead forward of the destination (of events received in [since, until) when given); resolves to how many. */
  replayDead(destination: string, range?: { since?: string; until?: string }): Promise<number>;
  /** One event's forwards (to one destination when named); resolves to how many. */
  replayEvent(eventId: string, destination?: string): Promise<number>;
  /** Ends the held forwards of a destination removed from the configuration (409 while configured); resolves to how many. */
  discard(destination: string): Promise<number>;
}

async function settle<T>(url: string, call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (err) {
    throw new PushError({ status: 0, attempts: 1, cause: err, message: networkErrorMessage(url, err) });
  }
  if (result.response.ok && result.data !== undefined) return result.data;
  const body = result.error as ErrorBody | undefined;
  throw new PushError({ status: result.response.status, body: typeof body?.code === 'string' ? body : undefined, attempts: 1, cause: result.error });
}

export function createRelayClient(options: RelayClientOptions): RelayClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const api = createClient<paths>({
    baseUrl: base,
    headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
    fetch: options.fetch,
  });
  const path = (destinationId: string) => ({ path: { destinationId } });
  return {
    destinations: async () => (await settle(base, api.GET('/relay/destinations'))).items,
    forwards: (filter = {}) => settle(base, api.GET('/relay/forwards', { params: { query: filter } })),
    pause: (destination) => settle(base, api.POST('/relay/destinations/{destinationId}/pause', { params: path(destination) })),
    resume: (destination) => settle(base, api.POST('/relay/destinations/{destinationId}/resume', { params: path(destination) })),
    replayDead: async (destination, range = {}) => (await settle(base, api.POST('/relay/destinations/{destinationId}/replay', { params: { ...path(destination), query: range } }))).replayed,
    replayEvent: async (eventId, destination) =>
      (await settle(base, api.POST('/relay/events/{eventId}/replay', { params: { path: { eventId }, query: destination === undefined ? {} : { destination } } }))).replayed,
    discard: async (destination) => (await settle(base, api.POST('/relay/destinations/{destinationId}/discard', { params: path(destination) }))).discarded,
  };
}
