// The conformance cases: what to send a receiver and what the contract says must come back. Each case
// is a list of requests (steps) made fresh when it runs, each with its expectation and the spec location
// behind it. Nothing here does I/O; runner.ts sends the steps and verdict.ts judges the answers.
import { resolveReceiverUrl, withQuery, type ReceiverTarget } from '../receiver-url.js';
import { LEGACY_SIGNATURE_HEADER, SIGNATURE_HEADER, signLegacyPayload, signPayload } from '../signature.js';
import { deliveryKinds, freshDelivery, metaJson } from './deliveries.js';
import type { Route } from './spec.js';

export type Group = 'handshake' | 'acceptance' | 'refusals';
/** `contract`: every answer held to the spec; `meta`: only what Meta requires of a receiver and what keeps it safe. */
export type Profile = 'contract' | 'meta';
export const PROFILES: readonly Profile[] = ['contract', 'meta'];
export const GROUPS: readonly Group[] = ['handshake', 'acceptance', 'refusals'];

/** Meta waits about five seconds for an answer (the spec's info.description). */
export const DEFAULT_BUDGET_MS = 5000;
/** The body limit the spec names as the default (1 MiB): the oversize case sends one byte more. */
export const DEFAULT_BODY_LIMIT = 1_048_576;

export interface ConformanceOptions {
  /**
   * The receiver's URL in any form `resolveReceiverUrl` reads: a base URL, the push URL with or without
   * a channel, a `{chanId}` template, or the receiver's own callback URL (`https://host/webhook`).
   */
  url: string;
  /** The channel ID the receiver knows: deliveries go to `…/message/{channel}` (optional when the URL names it or has no place for it). */
  channel?: string;
  /** The channel's Meta app secret: deliveries are signed with it, and the signature refusals need it. */
  secret?: string;
  /** The channel's verify token: the handshake cases need it. */
  verifyToken?: string;
  /** The channel's Instagram account ID: entries carry it, and each delivery is also sent to the path without `{chanId}`. */
  accountId?: string;
  /** Run only these groups (`handshake`, `acceptance`, `refusals`) or case IDs (`acceptance/text`). */
  only?: string[];
  /** The longest an answer may take, in milliseconds (default 5000, what Meta allows). */
  budgetMs?: number;
  /** The receiver's body limit in bytes (default 1 MiB, the spec's): the oversize case sends one byte more. */
  bodyLimit?: number;
  /** Headers sent with every request (e.g. a gateway's credentials). */
  headers?: Record<string, string>;
  /** Which signature headers signed deliveries carry: both, as Meta sends (default), or one. */
  signatures?: Signatures;
  /** What the receiver is judged by: the whole contract (default), or only what Meta requires and what keeps it safe. */
  profile?: Profile;
  /**
   * How long to wait for a receiver that stopped answering after a case to answer the handshake again (a
   * supervisor restarting it), in milliseconds; then the run goes on. Default 0: the remaining cases are skipped.
   */
  waitForRestartMs?: number;
  /** The fetch to send with (default `globalThis.fetch`). */
  fetch?: typeof globalThis.fetch;
}

/** What the contract says must come back for one request. */
export interface Expectation {
  status: number;
  /** The expectation in a few words, for the report: `200 {"resultMsg":"200"}`. */
  describe: string;
  /** Where the spec says so. */
  spec: string;
  /** The error code the spec names for this refusal. */
  code?: string;
  /** The exact body (the handshake's challenge). */
  body?: string;
  /** Text the answer must not contain (a challenge that must not be echoed). */
  notEchoed?: string;
  /** What a 2xx here most likely means about the receiver, said under the finding. */
  hint?: string;
  /** Any status of this class meets the expectation (Meta's rules: any 2xx, any 4xx), not only `status`. */
  statusClass?: 2 | 4;
  /** Judge the status (and the exact body or challenge asked for) only, not the spec's content type, schema or error code. */
  statusOnly?: boolean;
}

export interface Step {
  /** `send`, `redelivery`, `by account ID`… */
  name: string;
  method: 'GET' | 'POST';
  route: Route;
  /** The full URL requested. */
  url: string;
  /** The URL as reports show it, when it holds a secret (the verify token) that must not be shown. */
  shown?: string;
  headers: Record<string, string>;
  body?: string;
  expect: Expectation;
}

export interface CaseSpec {
  id: string;
  group: Group;
  title: string;
  /** True when a receiver that keeps the contract stores what the case sends. */
  stores: boolean;
  /** Why the case cannot run with the options given. */
  skip?: string;
  steps(): Promise<Step[]>;
}

const ACCEPTED = { status: 200, describe: '200 {"resultMsg":"200"}', spec: '#/components/responses/PushAccepted' };
const JSON_TYPE = 'application/json';
const SECURITY_SPEC = '#/components/securitySchemes/hubSignature';

/** Which signature headers a delivery carries: Meta sends both over the same bytes. */
export type Signatures = 'both' | 'sha256' | 'sha1';

const randomDigits = (n: number) => Array.from(globalThis.crypto.getRandomValues(new Uint8Array(n)), (b) => String(b % 10)).join('').replace(/^0/, '1');
const randomHex = (n: number) => Array.from(globalThis.crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, '0')).join('');

/** The URLs the cases send to, read once from the options (throws ReceiverUrlError for a URL no case can use). */
export function targetOf(options: ConformanceOptions): ReceiverTarget {
  const target = resolveReceiverUrl(options.url, options.channel || undefined);
  if (target.channel === undefined && target.form !== 'as-given') {
    throw new TypeError('channel is required: the channel ID the receiver knows (or give the push URL of a channel, or the receiver\'s own URL)');
  }
  return target;
}

/** A one-event text delivery a receiver must refuse; its text says so, should a receiver store it anyway. */
function refusedDelivery(options: ConformanceOptions, text = 'ig-push check: a receiver must refuse this delivery'): string {
  const value = {
    object: 'instagram',
    entry: [{ id: '17841400000000000', time: 1732519200123, messaging: [{ sender: { id: '6543210987654321' }, recipient: { id: '17841400000000000' }, timestamp: 1732519199876, message: { mid: 'x', text } }] }],
  };
  return metaJson(freshDelivery(value, { accountId: options.accountId }).delivery);
}

/** The headers of a delivery signed with `secret`: both signature headers, as Meta sends, unless told otherwise. */
export async function signedHeaders(body: string, secret: string | undefined, which: Signatures = 'both'): Promise<Record<string, string>> {
  const headers: Record<string, string> = { 'content-type': JSON_TYPE };
  if (!secret) return headers;
  if (which !== 'sha1') headers[SIGNATURE_HEADER] = await signPayload(body, secret);
  if (which !== 'sha256') headers[LEGACY_SIGNATURE_HEADER] = await signLegacyPayload(body, secret);
  return headers;
}

function handshakeCases(o: ConformanceOptions, t: ReceiverTarget): CaseSpec[] {
  const skip = o.verifyToken ? undefined : "needs the channel's verify token (--verify-token)";
  const get = (name: string, query: Record<string, string>, expect: Expectation): Step => ({
    name,
    method: 'GET',
    route: 'channel',
    url: withQuery(t.url, query),
    // The verify token is a secret: reports (JSON, JUnit) never show it.
    shown: withQuery(t.url, 'hub.verify_token' in query ? { ...query, 'hub.verify_token': '…' } : query),
    headers: {},
    expect,
  });
  const token = o.verifyToken ?? '';
  const full = (challenge: string) => ({ 'hub.mode': 'subscribe', 'hub.verify_token': token, 'hub.challenge': challenge });
  const without = (name: 'hub.mode' | 'hub.verify_token' | 'hub.challenge', expect: Omit<Expectation, 'notEchoed'>): CaseSpec => ({
    id: `handshake/without-${name}`,
    group: 'handshake',
    title: `a handshake without ${name} is refused with ${expect.describe}, promptly`,
    stores: false,
    skip,
    async steps() {
      const challenge = randomDigits(10);
      const query: Record<string, string> = full(challenge);
      delete query[name];
      return [get('handshake', query, { ...expect, notEchoed: challenge })];
    },
  });
  return [
    {
      id: 'handshake/challenge-echoed',
      group: 'handshake',
      title: 'the right verify token gets 200 and the challenge back exactly as sent, as text',
      stores: false,
      skip,
      async steps() {
        const challenge = randomDigits(10);
        return [get('handshake', full(challenge), { status: 200, describe: `200 text/plain ${JSON.stringify(challenge)}`, body: challenge, spec: '#/components/responses/ChallengeEchoed' })];
      },
    },
    {
      id: 'handshake/wrong-token-refused',
      group: 'handshake',
      title: 'a wrong verify token is refused with 401 bad_verify_token, the challenge not echoed',
      stores: false,
      skip,
      async steps() {
        const challenge = randomDigits(10);
        const query = { ...full(challenge), 'hub.verify_token': `wrong-${token}` };
        return [get('handshake', query, { status: 401, code: 'bad_verify_token', notEchoed: challenge, describe: '401 bad_verify_token', spec: '#/components/responses/Unauthorized' })];
      },
    },
    {
      id: 'handshake/wrong-mode-refused',
      group: 'handshake',
      title: 'a hub.mode other than subscribe is refused with 400, the challenge not echoed',
      stores: false,
      skip,
      async steps() {
        const challenge = randomDigits(10);
        const query = { ...full(challenge), 'hub.mode': 'unsubscribe' };
        return [get('handshake', query, { status: 400, notEchoed: challenge, describe: '400 with the error body', spec: '#/components/parameters/HubMode' })];
      },
    },
    without('hub.mode', { status: 400, describe: '400 with the error body', spec: '#/components/parameters/HubMode' }),
    without('hub.verify_token', { status: 400, describe: '400 with the error body', spec: '#/components/parameters/HubVerifyToken' }),
    without('hub.challenge', { status: 400, describe: '400 with the error body', spec: '#/components/parameters/HubChallenge' }),
  ];
}

/** A valid delivery of `events` text events padded to `bytes` long (a little under, never over). */
function largeDelivery(o: ConformanceOptions, events: number, bytes: number): string {
  const event = (i: number) => ({ sender: { id: '6543210987654321' }, recipient: { id: '17841400000000000' }, timestamp: 1732519199876, message: { mid: `large-${i}`, text: '' } });
  const value = { object: 'instagram', entry: [{ id: '17841400000000000', time: 1732519200123, messaging: Array.from({ length: events }, (_, i) => event(i)) }] };
  const fresh = freshDelivery(value, { accountId: o.accountId }).delivery;
  const empty = metaJson(fresh).length;
  const each = Math.max(0, Math.floor((bytes - empty) / events));
  for (const e of fresh.entry![0]!.messaging!) e.message!.text = 'x'.repeat(each);
  return metaJson(fresh);
}

function acceptanceCases(o: ConformanceOptions, t: ReceiverTarget): CaseSpec[] {
  const which = o.signatures;
  const accepted = (bytes: string, headers: Record<string, string>): Step[] => {
    const send = { method: 'POST', route: 'channel', url: t.url, headers, body: bytes, expect: ACCEPTED } as const;
    // Meta redelivers what it believes failed: the very same bytes and signature.
    return [{ name: 'send', ...send }, { name: 'redelivery', ...send }];
  };
  const kinds: CaseSpec[] = deliveryKinds().map((kind) => ({
    id: `acceptance/${kind.name}`,
    group: 'acceptance',
    title: `${kind.summary} (${kind.example}) is accepted, and accepted again when redelivered`,
    stores: true,
    async steps() {
      const bytes = metaJson(freshDelivery(kind.value, { accountId: o.accountId }).delivery);
      const steps = accepted(bytes, await signedHeaders(bytes, o.secret, which));
      const routable = (kind.value.entry ?? []).every((e) => e.id !== '0');
      if (o.accountId !== undefined && routable && t.accountUrl) {
        const again = metaJson(freshDelivery(kind.value, { accountId: o.accountId }).delivery);
        steps.push({ name: 'by account ID', method: 'POST', route: 'account', url: t.accountUrl, headers: await signedHeaders(again, o.secret, which), body: again, expect: ACCEPTED });
      }
      return steps;
    },
  }));
  const limit = o.bodyLimit ?? DEFAULT_BODY_LIMIT;
  // 1 KiB under the limit leaves room for a gateway's rounding; 100 events is what a busy account's batch holds.
  const largest = Math.max(1024, limit - 1024);
  return [
    ...kinds,
    {
      id: 'acceptance/largest-delivery',
      group: 'acceptance',
      title: `a delivery of 100 events and ${largest} bytes (just under the ${limit}-byte limit) is accepted`,
      stores: true,
      async steps() {
        const bytes = largeDelivery(o, 100, largest);
        return accepted(bytes, await signedHeaders(bytes, o.secret, which)).slice(0, 1);
      },
    },
    {
      id: 'acceptance/unknown-event-kind',
      group: 'acceptance',
      title: 'an event of a kind the spec does not name, with fields it does not name, is accepted (Meta adds kinds)',
      stores: true,
      async steps() {
        const value = {
          object: 'instagram',
          entry: [{ id: '17841400000000000', time: 1732519200123, messaging: [{ sender: { id: '6543210987654321' }, recipient: { id: '17841400000000000' }, timestamp: 1732519199876, ig_push_check_future_kind: { id: 'x', detail: { nested: [1, 2] } } }] }],
          ig_push_check_extra: true,
        };
        const bytes = metaJson(freshDelivery(value as never, { accountId: o.accountId }).delivery);
        return accepted(bytes, await signedHeaders(bytes, o.secret, which)).slice(0, 1);
      },
    },
  ];
}

function refusalCases(o: ConformanceOptions, t: ReceiverTarget): CaseSpec[] {
  const needsSecret = o.secret ? undefined : "needs the channel's app secret (--secret)";
  const post = async (name: string, body: string, expect: Expectation, headers?: Record<string, string>, url = t.url): Promise<Step[]> => [
    { name, method: 'POST', route: 'channel', url, headers: headers ?? (await signedHeaders(body, o.secret)), body, expect },
  ];
  const limit = o.bodyLimit ?? DEFAULT_BODY_LIMIT;
  return [
    {
      id: 'refusals/missing-signature',
      title: 'a delivery without any signature header is refused with 401 missing_signature',
      skip: needsSecret,
      steps: () => post('send', refusedDelivery(o), { status: 401, code: 'missing_signature', describe: '401 missing_signature', spec: SECURITY_SPEC }, { 'content-type': JSON_TYPE }),
    },
    {
      id: 'refusals/legacy-signature-only',
      title: `a delivery with a valid ${LEGACY_SIGNATURE_HEADER} (sha1) but no ${SIGNATURE_HEADER} is refused with 401 missing_signature`,
      skip: needsSecret,
      async steps() {
        const body = refusedDelivery(o);
        const expect = { status: 401, code: 'missing_signature', describe: '401 missing_signature', spec: SECURITY_SPEC, hint: `accepted on ${LEGACY_SIGNATURE_HEADER} alone: the receiver checks the legacy sha1 header, not ${SIGNATURE_HEADER}` };
        return post('send', body, expect, await signedHeaders(body, o.secret, 'sha1'));
      },
    },
    {
      id: 'refusals/wrong-signature',
      title: `a delivery whose ${SIGNATURE_HEADER} is wrong is refused with 401 bad_signature, even beside a valid ${LEGACY_SIGNATURE_HEADER}`,
      skip: needsSecret,
      async steps() {
        const body = refusedDelivery(o);
        const headers = { ...(await signedHeaders(body, `${o.secret}-not-the-secret`, 'sha256')), [LEGACY_SIGNATURE_HEADER]: await signLegacyPayload(body, o.secret!) };
        const expect = { status: 401, code: 'bad_signature', describe: '401 bad_signature', spec: SECURITY_SPEC, hint: `accepted with a wrong ${SIGNATURE_HEADER}: the receiver checks only ${LEGACY_SIGNATURE_HEADER} (sha1), or nothing` };
        return post('send', body, expect, headers);
      },
    },
    {
      id: 'refusals/malformed-json',
      title: 'a body that is not JSON is refused with 400 invalid_json',
      steps: () => post('send', '{"object":"instagram","entry":[{"id":', { status: 400, code: 'invalid_json', describe: '400 invalid_json', spec: '#/components/responses/BadRequest' }),
    },
    {
      id: 'refusals/wrong-content-type',
      title: 'a delivery sent as text/plain is refused with 415 unsupported_media_type',
      async steps() {
        const body = refusedDelivery(o);
        const headers = { ...(await signedHeaders(body, o.secret)), 'content-type': 'text/plain; charset=utf-8' };
        return post('send', body, { status: 415, code: 'unsupported_media_type', describe: '415 unsupported_media_type', spec: '#/components/responses/UnsupportedMediaType' }, headers);
      },
    },
    {
      id: 'refusals/unknown-channel',
      title: 'a delivery to a channel the receiver does not know is refused with 404 unknown_channel',
      skip: t.channelUrl ? undefined : 'the URL has no place for a channel (give the push URL or a {chanId} template)',
      steps: () => post('send', refusedDelivery(o), { status: 404, code: 'unknown_channel', describe: '404 unknown_channel', spec: '#/components/responses/NotFound' }, undefined, t.channelUrl?.(`ig-push-check-${randomHex(6)}`)),
    },
    {
      id: 'refusals/oversize-body',
      title: `a body over the limit (${limit} bytes) is refused with 413 payload_too_large`,
      steps: () => {
        const empty = refusedDelivery(o, '');
        // One byte over the limit, padding the text of an otherwise valid delivery.
        const body = refusedDelivery(o, 'x'.repeat(Math.max(0, limit + 1 - empty.length)));
        return post('send', body, { status: 413, code: 'payload_too_large', describe: '413 payload_too_large', spec: '#/components/responses/PayloadTooLarge' });
      },
    },
  ].map((c) => ({ ...c, group: 'refusals' as const, stores: false }));
}

/** Every case, in the order they run: handshake, acceptance (one per named example, then the limits), refusals. */
export function allCases(options: ConformanceOptions, target: ReceiverTarget = targetOf(options)): CaseSpec[] {
  return [...handshakeCases(options, target), ...acceptanceCases(options, target), ...refusalCases(options, target)];
}
/** The cases `only` selects (groups or case IDs); throws naming what it does not know. */
export function selectCases(cases: CaseSpec[], only: string[] | undefined): CaseSpec[] {
  if (!only || only.length === 0) return cases;
  const unknown = only.filter((o) => !GROUPS.includes(o as Group) && !cases.some((c) => c.id === o));
  if (unknown.length) {
    throw new RangeError(`unknown case or group ${unknown.map((u) => JSON.stringify(u)).join(', ')}: use ${GROUPS.join(', ')} or a case ID such as ${cases.find((c) => c.group === 'acceptance')?.id}`);
  }
  return cases.filter((c) => only.includes(c.group) || only.includes(c.id));
}
