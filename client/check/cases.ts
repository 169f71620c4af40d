// The conformance cases: what to send a receiver and what the contract says must come back. Each case
// is a list of requests (steps) made fresh when it runs, each with its expectation and the spec location
// behind it. Nothing here does I/O; runner.ts sends the steps and verdict.ts judges the answers.
import { SIGNATURE_HEADER, signPayload } from '../signature.js';
import { deliveryKinds, freshDelivery, metaJson } from './deliveries.js';
import { PUSH_PATH, type Route } from './spec.js';

export type Group = 'handshake' | 'acceptance' | 'refusals';
export const GROUPS: readonly Group[] = ['handshake', 'acceptance', 'refusals'];

/** Meta waits about five seconds for an answer (the spec's info.description). */
export const DEFAULT_BUDGET_MS = 5000;
/** The body limit the spec names as the default (1 MiB): the oversize case sends one byte more. */
export const DEFAULT_BODY_LIMIT = 1_048_576;

export interface ConformanceOptions {
  /** The receiver's base URL (`https://tenant.example`), or its push URL ending in `/apiaccess/api/instagram/message`. */
  url: string;
  /** The channel ID the receiver knows: deliveries go to `…/message/{channel}`. */
  channel: string;
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
}

export interface Step {
  /** `send`, `redelivery`, `by account ID`… */
  name: string;
  method: 'GET' | 'POST';
  route: Route;
  /** Path and query, appended to the base URL. */
  path: string;
  /** The path as reports show it, when it holds a secret (the verify token) that must not be shown. */
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

const randomDigits = (n: number) => Array.from(globalThis.crypto.getRandomValues(new Uint8Array(n)), (b) => String(b % 10)).join('').replace(/^0/, '1');
const randomHex = (n: number) => Array.from(globalThis.crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, '0')).join('');

const channelPath = (channel: string) => `${PUSH_PATH}/${encodeURIComponent(channel)}`;

/** A one-event text delivery a receiver must refuse; its text says so, should a receiver store it anyway. */
function refusedDelivery(options: ConformanceOptions, text = 'ig-push check: a receiver must refuse this delivery'): string {
  const value = {
    object: 'instagram',
    entry: [{ id: '17841400000000000', time: 1732519200123, messaging: [{ sender: { id: '6543210987654321' }, recipient: { id: '17841400000000000' }, timestamp: 1732519199876, message: { mid: 'x', text } }] }],
  };
  return metaJson(freshDelivery(value, { accountId: options.accountId }).delivery);
}

async function signed(body: string, secret: string | undefined): Promise<Record<string, string>> {
  return secret ? { 'content-type': JSON_TYPE, [SIGNATURE_HEADER]: await signPayload(body, secret) } : { 'content-type': JSON_TYPE };
}

function handshakeCases(o: ConformanceOptions): CaseSpec[] {
  const skip = o.verifyToken ? undefined : 'needs the channel\'s verify token (--verify-token)';
  const get = (name: string, query: Record<string, string>, expect: Expectation): Step => ({
    name,
    method: 'GET',
    route: 'channel',
    path: `${channelPath(o.channel)}?${new URLSearchParams(query)}`,
    // The verify token is a secret: reports (JSON, JUnit) never show it.
    shown: `${channelPath(o.channel)}?${new URLSearchParams({ ...query, 'hub.verify_token': '…' })}`,
    headers: {},
    expect,
  });
  const token = o.verifyToken ?? '';
  return [
    {
      id: 'handshake/challenge-echoed',
      group: 'handshake',
      title: 'the right verify token gets 200 and the challenge back exactly as sent, as text',
      stores: false,
      skip,
      async steps() {
        const challenge = randomDigits(10);
        const query = { 'hub.mode': 'subscribe', 'hub.verify_token': token, 'hub.challenge': challenge };
        return [get('handshake', query, { status: 200, describe: `200 text/plain ${JSON.stringify(challenge)}`, body: challenge, spec: '#/components/responses/ChallengeEchoed' })];
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
        const query = { 'hub.mode': 'subscribe', 'hub.verify_token': `wrong-${token}`, 'hub.challenge': challenge };
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
        const query = { 'hub.mode': 'unsubscribe', 'hub.verify_token': token, 'hub.challenge': challenge };
        return [get('handshake', query, { status: 400, notEchoed: challenge, describe: '400 with the error body', spec: '#/components/parameters/HubMode' })];
      },
    },
  ];
}

function acceptanceCases(o: ConformanceOptions): CaseSpec[] {
  return deliveryKinds().map((kind) => ({
    id: `acceptance/${kind.name}`,
    group: 'acceptance',
    title: `${kind.summary} (${kind.example}) is accepted, and accepted again when redelivered`,
    stores: true,
    async steps() {
      const bytes = metaJson(freshDelivery(kind.value, { accountId: o.accountId }).delivery);
      const headers = await signed(bytes, o.secret);
      const send = { method: 'POST', route: 'channel', path: channelPath(o.channel), headers, body: bytes, expect: ACCEPTED } as const;
      const steps: Step[] = [
        { name: 'send', ...send },
        // Meta redelivers what it believes failed: the very same bytes and signature.
        { name: 'redelivery', ...send },
      ];
      const routable = (kind.value.entry ?? []).every((e) => e.id !== '0');
      if (o.accountId !== undefined && routable) {
        const again = metaJson(freshDelivery(kind.value, { accountId: o.accountId }).delivery);
        steps.push({ name: 'by account ID', method: 'POST', route: 'account', path: PUSH_PATH, headers: await signed(again, o.secret), body: again, expect: ACCEPTED });
      }
      return steps;
    },
  }));
}

function refusalCases(o: ConformanceOptions): CaseSpec[] {
  const needsSecret = o.secret ? undefined : "needs the channel's app secret (--secret)";
  const post = async (name: string, body: string, expect: Expectation, headers?: Record<string, string>, path = channelPath(o.channel)): Promise<Step[]> => [
    { name, method: 'POST', route: 'channel', path, headers: headers ?? (await signed(body, o.secret)), body, expect },
  ];
  const limit = o.bodyLimit ?? DEFAULT_BODY_LIMIT;
  return [
    {
      id: 'refusals/missing-signature',
      title: 'a delivery without X-Hub-Signature-256 is refused with 401 missing_signature',
      skip: needsSecret,
      steps: () => post('send', refusedDelivery(o), { status: 401, code: 'missing_signature', describe: '401 missing_signature', spec: '#/components/securitySchemes/hubSignature' }, { 'content-type': JSON_TYPE }),
    },
    {
      id: 'refusals/wrong-signature',
      title: 'a delivery signed with another secret is refused with 401 bad_signature',
      skip: needsSecret,
      async steps() {
        const body = refusedDelivery(o);
        const headers = await signed(body, `${o.secret}-not-the-secret`);
        return post('send', body, { status: 401, code: 'bad_signature', describe: '401 bad_signature', spec: '#/components/securitySchemes/hubSignature' }, headers);
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
        const headers = { ...(await signed(body, o.secret)), 'content-type': 'text/plain; charset=utf-8' };
        return post('send', body, { status: 415, code: 'unsupported_media_type', describe: '415 unsupported_media_type', spec: '#/components/responses/UnsupportedMediaType' }, headers);
      },
    },
    {
      id: 'refusals/unknown-channel',
      title: 'a delivery to a channel the receiver does not know is refused with 404 unknown_channel',
      steps: () => {
        const path = channelPath(`ig-push-check-${randomHex(6)}`);
        return post('send', refusedDelivery(o), { status: 404, code: 'unknown_channel', describe: '404 unknown_channel', spec: '#/components/responses/NotFound' }, undefined, path);
      },
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

/** Every case, in the order they run: handshake, acceptance (one per named example), refusals. */
export function allCases(options: ConformanceOptions): CaseSpec[] {
  return [...handshakeCases(options), ...acceptanceCases(options), ...refusalCases(options)];
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
