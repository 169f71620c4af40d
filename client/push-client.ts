// createPushClient: push deliveries and run the handshake against any implementation of the contract.
import createClient, { type Client } from 'openapi-fetch';
import type { paths } from '../generated/schema.js';
import { signingMiddleware } from './middleware/signing.js';
import { userAgentMiddleware } from './middleware/user-agent.js';
import { PushError } from './push-error.js';
import { attemptsOf, NoAnswerError, retryingFetch } from './retry.js';
import type { ErrorBody, PushAccepted, WebhookDelivery } from './types.js';

export interface PushClientOptions {
  /** Where the contract is served, e.g. `https://service.besclouds.com` or `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** The Meta app secret: when set, every push carries `X-Hub-Signature-256` over the exact bytes sent. */
  appSecret?: string;
  /** Retries after the first attempt, on network errors, 408, 429 and 5xx (default 2). */
  retries?: number;
  /** Base of the exponential backoff with full jitter (default 200 ms). */
  retryDelayMs?: number;
  /** Limit of one attempt (default 10 000 ms). */
  timeoutMs?: number;
  /** The fetch to send with (default `globalThis.fetch`). */
  fetch?: (request: Request) => Promise<Response>;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /**
   * Also sign with the legacy `X-Hub-Signature` (sha1), as Meta does, for receivers that check only that
   * one; `'only'` sends it alone (to test such a receiver). Default: the contract's header alone.
   */
  legacySignature?: boolean | 'only';
}

export interface PushOptions {
  /** Send to `/apiaccess/api/instagram/message/{chanId}`; without it the receiver routes by `entry[].id`. */
  chanId?: string;
  signal?: AbortSignal;
}

export interface VerifyOptions {
  chanId?: string;
  verifyToken: string;
  challenge: string;
  signal?: AbortSignal;
}

export interface PushClient {
  /** Pushes one delivery; resolves to the 200 body, or throws PushError after retries. */
  push(payload: WebhookDelivery, options?: PushOptions): Promise<PushAccepted>;
  /**
   * Pushes a body exactly as given (bytes or text), e.g. to replay or relay what Meta sent: the receiver
   * sees, and the signature covers, these bytes and no re-serialisation of them.
   */
  pushRaw(body: string | Uint8Array, options?: PushOptions): Promise<PushAccepted>;
  /** Runs the handshake; resolves to the echoed challenge, or throws PushError. */
  verifyWebhook(options: VerifyOptions): Promise<string>;
  /** The openapi-fetch client typed by the spec's paths, with the same middleware, retries and timeouts. */
  raw: Client<paths>;
}

function isErrorBody(value: unknown): value is ErrorBody {
  const v = value as ErrorBody | null;
  return (
    // Stryker disable next-line ConditionalExpression: a string or number parsed from JSON fails the field checks below all the same
    typeof v === 'object' &&
    v !== null &&
    typeof v.resultMsg === 'string' &&
    typeof v.code === 'string' &&
    Array.isArray(v.errors)
  );
}

// Bodies are fetched as text and parsed here: a 200 whose body is not JSON was answered, and must not
// surface as openapi-fetch's SyntaxError, which reads as no answer (status 0).
async function settle<T>(call: () => Promise<{ data?: string; error?: unknown; response: Response }>, parse: (text: string) => T): Promise<T> {
  let result: { data?: string; error?: unknown; response: Response };
  try {
    result = await call();
  } catch (err) {
    // Stryker disable next-line OptionalChaining: what the fetch step or a middleware throws is never undefined or null
    throw new PushError({ status: 0, attempts: err instanceof NoAnswerError ? err.attempts : 1, cause: err, message: (err as Error)?.message });
  }
  const { data, error, response } = result;
  if (response.ok && data !== undefined) {
    try {
      return parse(data);
    } catch (err) {
      throw new PushError({ status: response.status, attempts: attemptsOf(response), cause: err, message: `the receiver answered ${response.status} with a body that is not JSON` });
    }
  }
  // openapi-fetch leaves `error` undefined for an empty body: branch on the response, not on `error`.
  throw new PushError({ status: response.status, body: isErrorBody(error) ? error : undefined, attempts: attemptsOf(response), cause: error });
}

export function createPushClient(options: PushClientOptions): PushClient {
  const raw = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: options.headers,
    fetch: retryingFetch(
      { retries: options.retries ?? 2, retryDelayMs: options.retryDelayMs ?? 200, timeoutMs: options.timeoutMs ?? 10_000 },
      options.fetch,
    ),
  });
  raw.use(userAgentMiddleware);
  if (options.appSecret) raw.use(signingMiddleware(options.appSecret, { legacy: Boolean(options.legacySignature), sha256: options.legacySignature !== 'only' }));

  return {
    raw,
    push(payload, { chanId, signal } = {}) {
      return settle(
        () =>
          chanId === undefined
            ? raw.POST('/apiaccess/api/instagram/message', { body: payload, parseAs: 'text', signal })
            : raw.POST('/apiaccess/api/instagram/message/{chanId}', { params: { path: { chanId } }, body: payload, parseAs: 'text', signal }),
        JSON.parse,
      );
    },
    pushRaw(body, { chanId, signal } = {}) {
      // The typed body is a placeholder: the serializer hands openapi-fetch the given bytes instead.
      const bodySerializer = () => body;
      const placeholder = {} as WebhookDelivery;
      return settle(
        () =>
          chanId === undefined
            ? raw.POST('/apiaccess/api/instagram/message', { body: placeholder, bodySerializer, parseAs: 'text', signal })
            : raw.POST('/apiaccess/api/instagram/message/{chanId}', { params: { path: { chanId } }, body: placeholder, bodySerializer, parseAs: 'text', signal }),
        JSON.parse,
      );
    },
    verifyWebhook({ chanId, verifyToken, challenge, signal }) {
      const query = { 'hub.mode': 'subscribe' as const, 'hub.verify_token': verifyToken, 'hub.challenge': challenge };
      return settle(
        () =>
          chanId === undefined
            ? raw.GET('/apiaccess/api/instagram/message', { params: { query }, parseAs: 'text', signal })
            : raw.GET('/apiaccess/api/instagram/message/{chanId}', { params: { path: { chanId }, query }, parseAs: 'text', signal }),
        (text) => text,
      );
    },
  };
}
