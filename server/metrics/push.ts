// Push outcomes (accepted, duplicate events, events stored, refused by error code) per channel, and
// requests by operation and status class. Every label set is made when the app starts: a channel that
// is not configured is counted under `_other`, so no request can add a series.
import type { ErrorCode } from 'instagram-push-kit';
import type { Channel } from '../push/channels.js';
import type { AppendResult } from '../inbox/inbox.js';
import { underPushPath } from '../push/push-path.js';
import { ChannelTallies, Tally } from './tally.js';

/** Every code of the spec's ErrorCode; the type below fails the build when the spec gains one. */
export const ERROR_CODES = [
  'invalid_json',
  'too_deep',
  'schema_violation',
  'bad_request',
  'missing_signature',
  'bad_signature',
  'bad_verify_token',
  'channel_disabled',
  'unauthorized',
  'unknown_channel',
  'not_found',
  'method_not_allowed',
  'request_timeout',
  'payload_too_large',
  'unsupported_media_type',
  'internal_error',
  'store_unavailable',
  'too_many_streams',
] as const satisfies readonly ErrorCode[];
type MissingCodes = Exclude<ErrorCode, (typeof ERROR_CODES)[number]>;
const everyCodeListed: MissingCodes extends never ? true : MissingCodes = true;
void everyCodeListed;

export class PushMetrics {
  readonly accepted: ChannelTallies;
  readonly duplicates: ChannelTallies;
  readonly stored: ChannelTallies;
  private readonly refusedByCode = new Map<string, ChannelTallies>();
  readonly refused: Tally[] = [];

  constructor(channelIds: readonly string[]) {
    this.accepted = new ChannelTallies(channelIds);
    this.duplicates = new ChannelTallies(channelIds);
    this.stored = new ChannelTallies(channelIds);
    for (const code of ERROR_CODES) {
      const tallies = new ChannelTallies(channelIds, { code });
      this.refusedByCode.set(code, tallies);
      this.refused.push(...tallies.all);
    }
  }

  /** A delivery answered 200: counted under its path's channel, or its first entry's. */
  acceptedDelivery(channels: Channel[] | Channel, result: AppendResult): void {
    const id = Array.isArray(channels) ? channels[0]?.id : channels.id;
    this.accepted.of(id).value++;
    this.stored.of(id).value += result.stored;
    this.duplicates.of(id).value += result.duplicates;
  }

  refusedDelivery(code: string, channelId: string | undefined): void {
    (this.refusedByCode.get(code) ?? this.refusedByCode.get('internal_error')!).of(channelId).value++;
  }

  /** Running totals over every channel (the console's per-minute chart). */
  totals(): { accepted: number; refused: number } {
    let accepted = 0;
    let refused = 0;
    for (const t of this.accepted.all) accepted += t.value;
    for (const t of this.refused) refused += t.value;
    return { accepted, refused };
  }
}

export const OPERATIONS = ['push', 'handshake', 'list_messages', 'feed', 'rates', 'metrics', 'health', 'docs', 'console', 'other'] as const;
export type Operation = (typeof OPERATIONS)[number];
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];

/** Which operation a request path is, from a fixed list (a path is never a label value). */
export function operationOf(method: string | undefined, path: string): Operation {
  if (underPushPath(path)) return method === 'GET' || method === 'HEAD' ? 'handshake' : 'push';
  switch (path) {
    case '/inbox/messages':
      return 'list_messages';
    case '/inbox/events':
      return 'feed';
    case '/inbox/rates':
      return 'rates';
    case '/metrics':
      return 'metrics';
    case '/healthz':
    case '/readyz':
      return 'health';
    case '/openapi.json':
    case '/docs':
    case '/docs/':
      return 'docs';
  }
  return path === '/inbox' || path === '/inbox/' || path.startsWith('/inbox/') || path === '/favicon.ico' ? 'console' : 'other';
}

export class RequestMetrics {
  private readonly byOperation = new Map<Operation, Tally[]>();
  readonly all: Tally[] = [];
  /** Pushes the hot path answered 200 itself (they never reach Express, where the rest are counted). */
  readonly pushOk: Tally;

  constructor() {
    for (const operation of OPERATIONS) {
      const row = STATUS_CLASSES.map((status_class) => new Tally({ operation, status_class }));
      this.byOperation.set(operation, row);
      this.all.push(...row);
    }
    this.pushOk = this.byOperation.get('push')![1]!;
  }

  count(method: string | undefined, path: string, status: number): void {
    const row = this.byOperation.get(operationOf(method, path))!;
    const tally = row[Math.min(Math.max(Math.floor(status / 100), 1), 5) - 1]!;
    tally.value++;
  }
}
