// Public entry of `instagram-push-kit/check`: the conformance cases `ig-push check` runs, to run inside a
// team's own test suite (one test per case), and the realistic deliveries `ig-push trigger` sends.
// Shipped as its own bundle (Ajv and the spec inlined), so the main entry stays small.
export {
  conformance,
  runConformance,
  ConformanceError,
  CHECK_USER_AGENT,
  describeFinding,
  type CaseResult,
  type ConformanceCase,
  type ConformanceReport,
  type RequestRecord,
  type RestartWait,
  type Verdict,
} from './runner.js';
export { DEFAULT_BODY_LIMIT, DEFAULT_BUDGET_MS, GROUPS, PROFILES, type ConformanceOptions, type Group, type Profile, type Signatures } from './cases.js';
export { deliveryKind, deliveryKinds, freshDelivery, metaJson, newMid, type Fresh, type FreshOptions, type Kind } from './deliveries.js';
export type { Finding } from './verdict.js';
export { caseLines, causeLines, summaryLine } from './report.js';
export { resolveReceiverUrl, ReceiverUrlError, ACCEPTED_URL_FORMS, type ReceiverTarget, type UrlForm } from '../receiver-url.js';
export { toJUnit } from './junit.js';
export type { Summary } from './summary.js';
