// openapi-fetch middleware: names this package in the User-Agent (runtimes that forbid the header drop it).
import type { Middleware } from 'openapi-fetch';
import { USER_AGENT } from '../version.js';

export const userAgentMiddleware: Middleware = {
  onRequest({ request }) {
    if (!request.headers.has('user-agent') || !request.headers.get('user-agent')?.startsWith('instagram-push-kit/')) {
      request.headers.set('User-Agent', USER_AGENT);
    }
    return request;
  },
};
