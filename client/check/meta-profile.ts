// The Meta profile: the contract's cases cut down to what Meta requires of any webhook receiver and what
// keeps it safe, judged by status alone (any 2xx is delivered, any 4xx a refusal, whatever the body), so a
// team whose receiver is their own app sees its real faults, not this contract's body shapes.
import { DEFAULT_BODY_LIMIT, type CaseSpec, type ConformanceOptions, type Expectation, type Step } from './cases.js';
import { TIMING_SPEC } from './spec.js';

/** Meta counts any 2xx within its time budget as delivered, whatever the body says. */
const DELIVERED: Expectation = { status: 200, statusClass: 2, statusOnly: true, describe: 'any 2xx (Meta counts it delivered, whatever the body)', spec: TIMING_SPEC };

/** The refusals that keep a receiver safe: each must be refused, with any 4xx. */
const SAFETY_REFUSALS = new Set(['refusals/missing-signature', 'refusals/legacy-signature-only', 'refusals/wrong-signature']);

/** The new expectation of a step under Meta's rules, or undefined when Meta does not ask for it. */
function metaExpectation(c: CaseSpec, step: Step): Expectation | undefined {
  const e = step.expect;
  if (c.id === 'handshake/challenge-echoed') return { ...e, statusOnly: true, describe: `200 with the challenge ${JSON.stringify(e.body)} as the body` };
  if (c.id === 'handshake/wrong-token-refused') return { ...e, statusClass: 4, statusOnly: true, describe: 'any 4xx, the challenge not echoed' };
  // The path without {chanId} is this contract's, not Meta's: a receiver has one callback URL.
  if (c.group === 'acceptance') return step.name === 'by account ID' ? undefined : DELIVERED;
  if (SAFETY_REFUSALS.has(c.id)) return { ...e, statusClass: 4, statusOnly: true, describe: 'any 4xx (refused)' };
  return undefined;
}

const META_TITLE: Record<string, string> = {
  'handshake/challenge-echoed': 'the right verify token gets 200 and the challenge back exactly as sent',
  'handshake/wrong-token-refused': 'a wrong verify token is refused with any 4xx, the challenge not echoed',
  'refusals/missing-signature': 'a delivery without any signature header is refused with any 4xx',
  'refusals/legacy-signature-only': 'a delivery signed only with the legacy sha1 X-Hub-Signature is refused with any 4xx',
  'refusals/wrong-signature': 'a delivery whose X-Hub-Signature-256 is wrong is refused with any 4xx, even beside a valid X-Hub-Signature',
};

function metaTitle(c: CaseSpec): string {
  if (META_TITLE[c.id]) return META_TITLE[c.id]!;
  if (c.id === 'acceptance/largest-delivery') return `Meta's largest delivery (100 events, just under ${DEFAULT_BODY_LIMIT} bytes) is answered 2xx`;
  return c.title.replace(/is accepted, and accepted again when redelivered$/, 'is answered 2xx, and 2xx again when redelivered').replace(/is accepted/, 'is answered 2xx');
}

/**
 * The Meta profile's cases, from the contract's (made with Meta's largest delivery in mind, whatever
 * --body-limit says): the handshake's echo and wrong token, every delivery kind and its redelivery, the
 * largest delivery, and the three signature refusals; each step judged by Meta's rule for it.
 */
export function metaCases(contractCases: (options: ConformanceOptions) => CaseSpec[], options: ConformanceOptions): CaseSpec[] {
  const cases = contractCases({ ...options, bodyLimit: DEFAULT_BODY_LIMIT });
  const kept = cases.filter((c) => c.group === 'acceptance' || c.id in META_TITLE);
  return kept.map((c) => ({
    ...c,
    title: metaTitle(c),
    async steps() {
      return (await c.steps()).flatMap((step) => {
        const expect = metaExpectation(c, step);
        return expect ? [{ ...step, expect }] : [];
      });
    },
  }));
}
