// openapi-fetch middleware: signs each request body with the app secret, over the exact bytes sent:
// X-Hub-Signature-256 as the contract requires, and with `legacy` also Meta's X-Hub-Signature (sha1).
import type { Middleware } from 'openapi-fetch';
import { LEGACY_SIGNATURE_HEADER, SIGNATURE_HEADER, signLegacyPayload, signPayload } from '../signature.js';

export interface SigningOptions {
  /** Also send the legacy `X-Hub-Signature: sha1=…`, as Meta does. */
  legacy?: boolean;
  /** Send the contract's `X-Hub-Signature-256` (default true); false with `legacy` sends the sha1 one alone. */
  sha256?: boolean;
}

export function signingMiddleware(appSecret: string, options: SigningOptions = {}): Middleware {
  return {
    async onRequest({ request }) {
      if (request.method !== 'POST' || !request.body) return undefined;
      // The Request already holds the serialised body; sign those bytes, and those bytes are sent.
      const bytes = await request.clone().arrayBuffer();
      if (options.sha256 !== false) request.headers.set(SIGNATURE_HEADER, await signPayload(bytes, appSecret));
      if (options.legacy) request.headers.set(LEGACY_SIGNATURE_HEADER, await signLegacyPayload(bytes, appSecret));
      return request;
    },
  };
}
