// The receiver a command talks to, read from --url by the one function every command shares
// (client/receiver-url.ts), and a push client that sends to exactly that URL whatever its form.
import { createPushClient, type PushClient, type PushClientOptions } from '../push-client.js';
import { FORM_NAMES, PUSH_PATH, ReceiverUrlError, resolveReceiverUrl, type ReceiverTarget } from '../receiver-url.js';
import { CliError, EXIT } from './exit-codes.js';
import { printLine } from './output.js';
import { FetchFailedAt } from '../network-error.js';

/** --url (and --channel) read once; a URL in no accepted form ends the command with exit 2, listing the forms. */
export function receiverTarget(url: string | undefined, channel?: string): ReceiverTarget {
  if (!url) throw new CliError("required option '--url <url>' not specified (or set IG_PUSH_URL)", EXIT.usage);
  try {
    return resolveReceiverUrl(url, channel);
  } catch (err) {
    if (err instanceof ReceiverUrlError) throw new CliError(`--url ${err.message}`, EXIT.usage);
    throw err;
  }
}

/** `url form: …, requests go to …` for --verbose. */
export function printTarget(target: ReceiverTarget, what = 'requests go to'): void {
  printLine(`--url ${target.given} (${FORM_NAMES[target.form]}): ${what} ${target.url}`);
}

/**
 * A push client whose requests land on the resolved URL: the client speaks the contract's paths, and its
 * fetch maps each onto the target (a channel's URL, the path without one, or the receiver's own URL).
 */
export function targetClient(target: ReceiverTarget, options: Omit<PushClientOptions, 'baseUrl' | 'fetch'>, onResponse?: (response: Response) => void): PushClient {
  const fetchAt = async (request: Request): Promise<Response> => {
    const asked = new URL(request.url);
    const chanId = asked.pathname.startsWith(`${PUSH_PATH}/`) ? decodeURIComponent(asked.pathname.slice(PUSH_PATH.length + 1)) : undefined;
    const to = new URL(chanId === undefined ? (target.accountUrl ?? target.url) : (target.channelUrl?.(chanId) ?? target.url));
    for (const [k, v] of asked.searchParams) to.searchParams.set(k, v);
    const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer();
    let response: Response;
    try {
      response = await globalThis.fetch(to, { method: request.method, headers: request.headers, body, signal: request.signal, redirect: request.redirect });
    } catch (err) {
      // The client asked its placeholder base URL: errors name the URL this request really went to.
      if (request.signal.aborted) throw err;
      throw new FetchFailedAt(to.href, err);
    }
    // A copy for a command that reports the answer as it came (content type, raw body), not only as parsed.
    onResponse?.(response.clone());
    return response;
  };
  return createPushClient({ ...options, baseUrl: 'http://receiver.invalid', fetch: fetchAt });
}
