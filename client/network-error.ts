// What a failed request met on the network, in words: "connection refused (ECONNREFUSED)" where fetch
// says only "fetch failed". Every command that reaches a server names the URL and this cause. Pure.

/** Codes met before a connection was made: "could not connect to …". */
const CONNECT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved now (DNS)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'timed out while connecting',
  ERR_INVALID_URL: 'not a valid URL',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'its TLS certificate chain is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate cannot be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate is for another host name',
  EPROTO: 'TLS failed (is it plain HTTP?)',
};

/** Codes met once connected. */
const ANSWER: Record<string, string> = {
  ECONNRESET: 'the connection was reset',
  UND_ERR_SOCKET: 'the server closed the connection',
  EPIPE: 'the server closed the connection',
  ETIMEDOUT: 'timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no answer headers in time',
  UND_ERR_BODY_TIMEOUT: 'the answer body stalled',
};

export interface NetworkCause {
  /** In words, with the code beside it when there is one. */
  text: string;
  /** True when no connection was made (refused, DNS, TLS): "could not connect to". */
  connect: boolean;
}

/** The code under fetch's "fetch failed" (its cause, or the cause's cause), if any. */
function codeOf(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]+$/.test(code)) return code;
  }
  return undefined;
}

export function describeNetworkError(err: unknown): NetworkCause {
  const code = codeOf(err);
  if (code && CONNECT[code]) return { text: `${CONNECT[code]} (${code})`, connect: true };
  if (code && ANSWER[code]) return { text: `${ANSWER[code]} (${code})`, connect: false };
  const message = (err as Error | undefined)?.message ?? String(err);
  const inner = (err as { cause?: { message?: unknown } } | undefined)?.cause?.message;
  // fetch refuses some ports outright (the Fetch standard's list: 9, 25, 6000…), before any connection.
  if (inner === 'bad port') return { text: 'fetch refuses to use this port (bad port)', connect: true };
  // A timeout of our own ("no answer within 10000 ms") or an error without a code: its message, and what lies under it.
  const detail = code ?? (typeof inner === 'string' ? inner : undefined);
  return { text: detail && !message.includes(detail) ? `${message} (${detail})` : message, connect: false };
}

/** "could not connect to URL: connection refused (ECONNREFUSED)", or "no answer from URL: …". */
export function networkErrorMessage(url: string, err: unknown, attempts = 1): string {
  const cause = describeNetworkError(err);
  const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
  return cause.connect ? `could not connect to ${url}: ${cause.text}${tries}` : `no answer from ${url}${tries}: ${cause.text}`;
}

/** A fetch that failed at `url`: where a client's fetch maps the request elsewhere, the URL it really asked. */
export class FetchFailedAt extends TypeError {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super('fetch failed', { cause });
    this.name = 'FetchFailedAt';
  }
}
