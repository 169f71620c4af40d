// The open sandbox answers only requests addressed to it by a name it expects. A sandbox accepts any
// delivery unsigned, so a web page anywhere could reach it through DNS rebinding (a name of the page's
// that resolves to 127.0.0.1); such a request carries the page's host name, which this refuses.
import type { NextFunction, Request, Response } from 'express';
import { badRequest } from '../contract/errors.js';

export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/** The host name of a Host header, lower-case, without its port; IPv6 literals keep their brackets. */
export function hostName(header: string | undefined): string {
  const value = (header ?? '').trim().toLowerCase();
  if (value.startsWith('[')) return value.slice(0, value.indexOf(']') + 1);
  const colon = value.indexOf(':');
  return colon === -1 ? value : value.slice(0, colon);
}

/** True when a request's Host header names one of `allowed` (any Host when `allowed` is undefined). */
export function hostAllowed(allowed: readonly string[] | undefined): (host: string | undefined) => boolean {
  if (!allowed) return () => true;
  const names = new Set(allowed.map((h) => h.toLowerCase()));
  return (host) => names.has(hostName(host));
}

/** Refuses requests whose Host is not one of `allowed` (lower-case names without port). */
export function hostCheck(allowed: readonly string[]) {
  const isAllowed = hostAllowed(allowed);
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (isAllowed(req.headers.host)) return next();
    throw badRequest('bad_request', 'This server answers only requests addressed to its own host name.', [
      { path: '/headers/host', message: `host not allowed: ${hostName(req.headers.host).slice(0, 100) || '(none)'}` },
    ]);
  };
}
