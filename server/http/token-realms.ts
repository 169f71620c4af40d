// The server's three bearer tokens, each named once: the realm its 401 challenge names and what the
// refusal tells the client to send. The routes of the inbox, the relay and the metrics take them from
// here, so that no route module reaches into another for its guard (the guard is bearer-guard.ts).
import { bearerGuard, type BearerRealm } from './bearer-guard.js';

export const inboxRealm = (token: string | undefined): BearerRealm => ({ realm: 'inbox', token, hint: 'Send the inbox token as "Authorization: Bearer <token>".' });

export const adminRealm = (token: string | undefined): BearerRealm => ({
  realm: 'admin',
  token,
  hint: 'Send the admin token (adminToken in the configuration) as "Authorization: Bearer <token>".',
});

export const metricsRealm = (token: string | undefined): BearerRealm => ({ realm: 'metrics', token, hint: 'Send the metrics token as "Authorization: Bearer <token>".' });

/** The inbox's reads: the inbox token when one is configured, open to all without one (as documented). */
export function requireInboxToken(token: string | undefined) {
  return bearerGuard(inboxRealm(token), { open: true });
}
