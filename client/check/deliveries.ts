// Realistic deliveries from the spec's named examples: each example of the push request body is one
// kind of event (`storyMention` → `story_mention`, spelled as the receiver's stored kinds and Meta's attachment
// types are), so the spec stays the one source of what Meta sends.
// A send gets a fresh `mid` and current times, and is serialised the way Meta serialises (non-ASCII as
// `\uXXXX`, `/` as `\/`), so the bytes signed are the bytes a receiver sees from Meta.
import type { WebhookDelivery } from '../types.js';
import { spec } from './spec.js';

export interface Kind {
  /** The example's name in snake_case: what `ig-push trigger` takes (kebab-case, the old spelling, too). */
  name: string;
  /** The example's key under the request body's `examples`. */
  key: string;
  /** Pointer to the example in the bundled spec. */
  example: string;
  /** The example's one-line summary. */
  summary: string;
  value: WebhookDelivery;
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Every named example of the push request body, in the spec's order. */
export function deliveryKinds(): Kind[] {
  const examples = spec.components.requestBodies.WebhookDelivery.content['application/json'].examples as Record<string, { $ref?: string; summary?: string; value?: unknown }>;
  return Object.entries(examples).map(([key, entry]) => {
    const example = entry.$ref ? (spec.components.examples[entry.$ref.split('/').pop()!] as { summary?: string; value: unknown }) : entry;
    return {
      name: snake(key),
      key,
      example: entry.$ref ?? `#/components/requestBodies/WebhookDelivery/content/application~1json/examples/${key}`,
      summary: example.summary ?? snake(key),
      value: example.value as WebhookDelivery,
    };
  });
}

/** The kind named `name`, or undefined; `story-mention`, the spelling before 0.3, still names `story_mention`. */
export function deliveryKind(name: string): Kind | undefined {
  const wanted = name.replace(/-/g, '_');
  return deliveryKinds().find((k) => k.name === wanted);
}

/** The JSON text of `value` as Meta writes it: every non-ASCII UTF-16 unit as `\uXXXX`, every `/` as `\/`. */
export function metaJson(value: unknown): string {
  // Outside strings JSON has neither non-ASCII characters nor slashes, so every replacement is inside one.
  return JSON.stringify(value)
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/\//g, '\\/');
}

// What Meta's mids start with (base64 of `ig_…item:1:IGMessag…`); the rest is random, so every send is new.
const MID_PREFIX = 'aWdfZAG1faXRlbToxOklHTWVzc2FnZA';

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A message ID shaped like Meta's, unique to this call. */
export function newMid(): string {
  return MID_PREFIX + base64url(globalThis.crypto.getRandomValues(new Uint8Array(45)));
}

export interface FreshOptions {
  /** Epoch milliseconds to date the delivery (default: now). */
  now?: number;
  /** Put every entry under this Instagram account ID (the business's side of each event too). */
  accountId?: string;
  /** Makes the fresh mids (default {@link newMid}). */
  mid?: () => string;
}

export interface Fresh {
  delivery: WebhookDelivery;
  /** The fresh mids, in the order they first appear. */
  mids: string[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Seconds are told from milliseconds by magnitude, as a receiver does. */
const toMs = (t: number) => (t < 1e12 ? t * 1000 : t);

function timeValue(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\d{1,16}$/.test(v)) return Number(v);
  return undefined;
}

function walk(value: unknown, visit: (node: Json) => void): void {
  if (Array.isArray(value)) for (const v of value) walk(v, visit);
  else if (isObject(value)) {
    visit(value);
    for (const v of Object.values(value)) walk(v, visit);
  }
}

/**
 * A copy of `example` as if Meta sent it now: every `mid` replaced by a fresh one (the same original
 * mid by the same fresh one, so a reaction or a reply in a batch still points at its message), every
 * `time` and `timestamp` moved to the present keeping its unit, type and order (events a little
 * before the entry that carries them), and with `accountId` every entry under that account, except
 * the App Dashboard's test entry, whose ID is always `"0"`.
 */
export function freshDelivery(example: WebhookDelivery, options: FreshOptions = {}): Fresh {
  const delivery = structuredClone(example) as Json;
  const now = options.now ?? Date.now();
  const makeMid = options.mid ?? newMid;
  const mids = new Map<string, string>();
  let latest = 0;
  walk(delivery, (node) => {
    for (const key of ['time', 'timestamp']) {
      const t = timeValue(node[key]);
      if (t !== undefined) latest = Math.max(latest, toMs(t));
    }
  });
  walk(delivery, (node) => {
    if (typeof node.mid === 'string') {
      if (!mids.has(node.mid)) mids.set(node.mid, makeMid());
      node.mid = mids.get(node.mid);
    }
    for (const key of ['time', 'timestamp']) {
      const t = timeValue(node[key]);
      if (t === undefined) continue;
      // Within a delivery, times keep their distance to the latest one, up to a few seconds.
      const at = now - Math.min(Math.max(latest - toMs(t), 0), 5000);
      const moved = t < 1e12 ? Math.floor(at / 1000) : at;
      node[key] = typeof node[key] === 'string' ? String(moved) : moved;
    }
  });
  if (options.accountId !== undefined && Array.isArray(delivery.entry)) {
    for (const entry of delivery.entry) {
      if (!isObject(entry) || typeof entry.id !== 'string' || entry.id === '0') continue;
      const previous = entry.id;
      entry.id = options.accountId;
      walk([entry.messaging, entry.standby], (node) => {
        for (const side of ['sender', 'recipient']) {
          const participant = node[side];
          if (isObject(participant) && participant.id === previous) participant.id = options.accountId;
        }
      });
    }
  }
  return { delivery: delivery as WebhookDelivery, mids: [...mids.values()] };
}
