// openapi-fetch middleware: signs each request body with the app secret, over the exact bytes sent.
import type { Middleware } from 'openapi-fetch';
import { SIGNATURE_HEADER, signPayload } from '../signature.js';

export function signingMiddleware(appSecret: string): Middleware {
  return {
    async onRequest({ request }) {
      if (request.method !== 'POST' || !request.body) return undefined;
      // The Request already holds the serialised body; sign those bytes, and those bytes are sent.
      const bytes = await request.clone().arrayBuffer();
      request.headers.set(SIGNATURE_HEADER, await signPayload(bytes, appSecret));
      return request;
    },
  };
}
