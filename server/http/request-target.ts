// A request target in absolute form (`POST http://host/path HTTP/1.1`), which RFC 9112 §3.2.2 says a
// server must accept, served like origin form: Node and Express route on `req.url` as sent, so without
// this such a request got 404. The target's authority replaces Host (the RFC's rule), so the sandbox's
// Host check sees the name the client addressed.
import type { IncomingMessage } from 'node:http';

const ABSOLUTE = /^https?:\/\/([^/?#]*)([^#]*)/i;

/** Rewrites an absolute-form target to origin form in place; any other target is left as it is. */
export function toOriginForm(req: IncomingMessage): void {
  const url = req.url ?? '';
  if (url.startsWith('/')) return;
  const m = ABSOLUTE.exec(url);
  if (!m) return;
  // userinfo is not allowed in an http(s) target (RFC 9110 §4.2.4): what follows its '@' is the host.
  const authority = m[1]!.slice(m[1]!.lastIndexOf('@') + 1);
  const rest = m[2]!;
  req.url = rest.startsWith('/') ? rest : `/${rest}`;
  if (authority !== '') req.headers.host = authority;
}
