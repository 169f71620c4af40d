// The one guard for every bearer token the server takes (inbox, admin, metrics): the scheme read as
// RFC 9110 says (case-insensitive), the token compared in constant time, and every 401 answered with
// `WWW-Authenticate: Bearer realm=…` as RFC 6750 asks (with `error="invalid_token"` when a token was
// given and is wrong), which clients and proxies read to know what to send.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { ApiError } from '../contract/errors.js';

/** The token of an `Authorization: Bearer <token>` header; undefined when there is none. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header || !/^bearer /i.test(header)) return undefined;
  return header.slice('bearer '.length);
}

/** Equal tokens, compared in constant time whatever their lengths (both are hashed first). */
export function sameToken(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export interface BearerRealm {
  /** Names the token in `WWW-Authenticate` (`inbox`, `admin`, `metrics`). */
  realm: string;
  /** The configured token; undefined means no token can pass (a guard that allows all is not mounted). */
  token: string | undefined;
  /** What to send, for the error body: `Send the inbox token as "Authorization: Bearer <token>".` */
  hint: string;
}

/** The 401 for a missing or wrong token, with its `WWW-Authenticate` challenge. */
export function bearerRefusal({ realm, token, hint }: BearerRealm, given: string | undefined): ApiError {
  const why = token === undefined ? `no ${realm} token is configured` : given === undefined ? 'missing bearer token' : 'wrong bearer token';
  const challenge = given === undefined ? `Bearer realm="${realm}"` : `Bearer realm="${realm}", error="invalid_token"`;
  return new ApiError(401, 'unauthorized', hint, [{ path: '/headers/authorization', message: why }], { 'WWW-Authenticate': challenge });
}

/** Throws the 401 unless the request carries the realm's token. */
export function checkBearer(req: Request, realm: BearerRealm): void {
  const given = bearerToken(req.headers.authorization);
  if (realm.token === undefined || given === undefined || !sameToken(given, realm.token)) throw bearerRefusal(realm, given);
}

/** Middleware: the realm's token required; with no token configured and `open`, everyone passes. */
export function bearerGuard(realm: BearerRealm, { open = false }: { open?: boolean } = {}) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!(open && realm.token === undefined)) checkBearer(req, realm);
    next();
  };
}
