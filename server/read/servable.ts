// read/: the read side's guards, between what the stores hold and what a reader is sent: whether a
// stored event can be served within the contract (here), the live feed's bounds on streams and unsent
// bytes (feed-limits.ts), and the bounded in-memory record of refused requests the feed shows beside
// the stored events (refusal-log.ts). The read routes themselves are routes/inbox.ts and routes/feed.ts.
//
// Decides whether a stored event can be served within the contract, so one bad row (say, written before
// non-finite numbers were refused) is listed under `skipped` and logged instead of failing every page
// that includes it. The store hands out what it holds; this is the check between the store and a reader.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { InboxItem, InboxPage } from 'instagram-push-kit';
import type { Logger } from 'pino';
import { firstNonFinite, NON_FINITE_MESSAGE } from '../push/finite-numbers.js';
import type { OpenApiDocument } from '../contract/spec.js';
import { compiledPerSpec } from '../contract/compiled-per-spec.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export type UnservableItem = NonNullable<InboxPage['skipped']>[number];

/** Null when the item can be served within the contract; otherwise a short reason. */
export type ItemCheck = (item: unknown) => string | null;

/** Called once for each row left out of an answer. */
export type UnservableLog = (skipped: UnservableItem) => void;

/** A reason names one path; a path under unknown keys is the sender's text, so it is cut short. */
const MAX_REASON = 200;
const reason = (path: string, message: string) => {
  const text = `${path}: ${message}`;
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON - 1)}…` : text;
};

/** Compiles the contract's InboxItem schema (Ajv 2020, as push-validator.ts) into an ItemCheck. */
export function compileItemCheck(spec: OpenApiDocument): ItemCheck {
  const ajv = new Ajv2020({ strict: false, strictNumbers: true, allErrors: false });
  addFormats(ajv);
  ajv.addSchema(spec as Record<string, unknown>, 'spec');
  const validate = ajv.compile({ $ref: 'spec#/components/schemas/InboxItem' });
  return (item) => {
    // Before the schema: JSON.stringify would turn ±Infinity into null, which a nullable field accepts.
    const nonFinite = firstNonFinite(item);
    if (nonFinite !== null) return reason(nonFinite, NON_FINITE_MESSAGE);
    if (validate(item)) return null;
    const first = validate.errors?.[0];
    return reason(first?.instancePath ?? '', first?.message ?? 'invalid');
  };
}

/**
 * The page with every item that fails `check` moved to `skipped` (its `id` and reason), each passed to
 * `log`. `nextCursor` is the store's, so it reads on past skipped rows, and they still count towards the
 * page's limit. `skipped` is absent when nothing was left out.
 */
export function servablePage(page: InboxPage, check: ItemCheck, log: UnservableLog): InboxPage {
  let items: InboxItem[] | undefined;
  const skipped: UnservableItem[] = [];
  page.items.forEach((item, i) => {
    const why = check(item);
    if (why === null) {
      items?.push(item);
      return;
    }
    // Copy lazily: pages without a bad row, nearly all of them, are returned untouched.
    items ??= page.items.slice(0, i);
    const entry = { id: String(item.id), reason: why };
    skipped.push(entry);
    log(entry);
  });
  if (!items) return page;
  return { ...page, items, skipped };
}

/**
 * Logs each unservable row as a warning once per process (up to `remember` rows), so a console paging
 * the inbox over and over does not log the same row on every read.
 */
export function logUnservable(logger: Pick<Logger, 'warn'>, remember = 10_000): UnservableLog {
  const seen = new Set<string>();
  return (skipped) => {
    if (seen.has(skipped.id)) return;
    if (seen.size >= remember) seen.clear();
    seen.add(skipped.id);
    logger.warn({ inboxId: skipped.id, reason: skipped.reason }, 'stored event cannot be served within the contract; left out');
  };
}

/** What a route reading the inbox needs: the page filter and the per-item test (for the live feed). */
export interface Servable {
  /** See `servablePage`. */
  page(page: InboxPage): InboxPage;
  /** True when the item can be served; false after logging it (once). Use as `items.filter(servable.item)`. */
  item(item: InboxItem): boolean;
}

// One compile per spec for every app in the process (the test suites start hundreds).
const itemCheckFor = compiledPerSpec(compileItemCheck);

export function createServable(options: { spec: OpenApiDocument; logger: Pick<Logger, 'warn'> }): Servable {
  const check = itemCheckFor(options.spec);
  const log = logUnservable(options.logger);
  return {
    page: (page) => servablePage(page, check, log),
    item(item) {
      const why = check(item);
      if (why === null) return true;
      log({ id: String(item.id), reason: why });
      return false;
    },
  };
}
