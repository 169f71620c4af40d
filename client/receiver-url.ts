// The one reading of a receiver URL, shared by every command and the conformance run: a base URL, the
// contract's push URL with or without a channel, a `{chanId}` template, or the receiver's own path (the
// callback URL registered with Meta, e.g. /webhook), to which Meta posts as given.
export const PUSH_PATH = '/apiaccess/api/instagram/message';
const PLACEHOLDER = '{chanId}';
// `new URL` percent-encodes braces; a marker that survives parsing stands in for the placeholder.
const MARKER = '__igpush_chan_id__';

export type UrlForm = 'base' | 'push' | 'push-channel' | 'template' | 'as-given';

/** Each form in words, for reports and --verbose. */
export const FORM_NAMES: Record<UrlForm, string> = {
  base: 'a base URL',
  push: 'the push URL',
  'push-channel': 'the push URL of a channel',
  template: 'a {chanId} template',
  'as-given': "the receiver's own URL, used as given",
};

export const ACCEPTED_URL_FORMS = [
  'http://host:port                                     base URL: the contract paths are appended',
  `http://host:port${PUSH_PATH}                 push URL (deliveries routed by entry[].id)`,
  `http://host:port${PUSH_PATH}/chan-a          push URL of a channel`,
  'http://host:port/any/path/{chanId}                   a template: {chanId} is replaced by the channel',
  "http://host:port/webhook                             the receiver's own callback URL, used as given",
].join('\n  ');

/** A URL no command can use, with what was wrong and the forms that work. */
export class ReceiverUrlError extends TypeError {
  constructor(problem: string) {
    super(`${problem}\naccepted forms:\n  ${ACCEPTED_URL_FORMS}`);
    this.name = 'ReceiverUrlError';
  }
}

export interface ReceiverTarget {
  given: string;
  form: UrlForm;
  /** The channel deliveries go to: the one asked for, or the one the URL names. */
  channel?: string;
  /** Where deliveries and the handshake go (with the channel when there is one). */
  url: string;
  /** The contract's path without `{chanId}`, when the URL follows the contract's paths. */
  accountUrl?: string;
  /** The URL of another channel; undefined when the URL has no place for one (`as-given`). */
  channelUrl?: (chanId: string) => string;
}

const trimSlashes = (path: string) => path.replace(/\/+$/, '');

function parse(text: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(text.split(PLACEHOLDER).join(MARKER));
  } catch {
    url = undefined;
  }
  // `localhost:18901` parses, with `localhost:` as its scheme: a URL without its scheme either way.
  if (!url || (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && /^[\w.-]+(:\d+)?(\/|$)/.test(text))) {
    const hint = /^[\w.-]+(:\d+)?(\/|$)/.test(text) ? ` (did you mean http://${text}?)` : '';
    throw new ReceiverUrlError(`"${text}" is not an absolute URL${hint}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ReceiverUrlError(`"${text}" must be http or https`);
  if (url.hash) throw new ReceiverUrlError(`"${text}" has a fragment (#…), which is never sent`);
  if (url.username || url.password) throw new ReceiverUrlError(`"${text}" carries credentials: pass them with -H "Authorization: …"`);
  return url;
}

/**
 * Reads a receiver URL in one of the accepted forms (ACCEPTED_URL_FORMS) for `channel` (which may be
 * omitted: deliveries are then routed by account, or go to the channel the URL names). Throws a
 * ReceiverUrlError, listing the forms, for a URL that is not one of them or contradicts `channel`.
 */
export function resolveReceiverUrl(text: string, channel?: string): ReceiverTarget {
  const url = parse(text);
  const origin = url.origin;
  const query = url.search;
  const path = trimSlashes(url.pathname);
  const at = (p: string) => `${origin}${p}${query}`;
  const pushAt = (prefix: string) => ({
    accountUrl: at(`${prefix}${PUSH_PATH}`),
    channelUrl: (id: string) => at(`${prefix}${PUSH_PATH}/${encodeURIComponent(id)}`),
  });

  if (path.includes(MARKER)) {
    if (path.split(MARKER).length !== 2) throw new ReceiverUrlError(`"${text}" holds ${PLACEHOLDER} more than once`);
    if (channel === undefined) throw new ReceiverUrlError(`"${text}" is a template: name the channel that replaces ${PLACEHOLDER} (--channel)`);
    const channelUrl = (id: string) => at(path.replace(MARKER, encodeURIComponent(id)));
    return { given: text, form: 'template', channel, url: channelUrl(channel), channelUrl };
  }
  if (path === '') {
    const { accountUrl, channelUrl } = pushAt('');
    return { given: text, form: 'base', channel, url: channel === undefined ? accountUrl : channelUrl(channel), accountUrl, channelUrl };
  }
  const index = path.indexOf(PUSH_PATH);
  if (index >= 0) {
    const prefix = path.slice(0, index);
    const rest = path.slice(index + PUSH_PATH.length);
    const { accountUrl, channelUrl } = pushAt(prefix);
    if (rest === '') return { given: text, form: 'push', channel, url: channel === undefined ? accountUrl : channelUrl(channel), accountUrl, channelUrl };
    const segments = rest.slice(1).split('/');
    if (rest.startsWith('/') && segments.length === 1) {
      const named = decodeURIComponent(segments[0]!);
      if (channel !== undefined && channel !== named) throw new ReceiverUrlError(`"${text}" names channel "${named}", but --channel says "${channel}": give one`);
      return { given: text, form: 'push-channel', channel: named, url: channelUrl(named), accountUrl, channelUrl };
    }
    throw new ReceiverUrlError(`"${text}" goes on after the push path ${PUSH_PATH}: give at most a channel after it`);
  }
  if (PUSH_PATH.startsWith(path) || /\/apiaccess(\/|$)/.test(path)) {
    throw new ReceiverUrlError(`"${text}" looks like the contract's push path cut short: it is ${PUSH_PATH}`);
  }
  // Meta posts to the callback URL exactly as registered, trailing slash and all.
  return { given: text, form: 'as-given', channel, url: at(url.pathname) };
}

/** The URL of a request with `params` added to its query. */
export function withQuery(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.href;
}
