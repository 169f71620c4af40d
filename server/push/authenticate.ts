// push/: what a delivery goes through before it is stored, on both push paths (routes/push.ts, the
// general path through Express, and push/fast-path.ts, the hot path in front of it), in this order:
// the channel (channels.ts), the body's bytes (body.ts, json-depth.ts), the signature over those bytes
// (signature.ts), the limits its schema cannot state (delivery-limits.ts, finite-numbers.ts), then the
// spec's schema (push-validator.ts on the hot path). This module runs those steps for both paths. Meta's
// subscription handshake (handshake.ts), the push URL's GET, checks a channel's verify token here too.
//
// The steps both push paths share: find the channel, check the signature over the raw bytes, check the
// delivery's limits. When the path names the channel, the channel is known before the body is read and
// the signature is checked before anything parses it, so an unsigned megabyte costs a hash, not a parse.
// Without a chanId the channel comes from entry[].id, which needs the parsed body. Channel and signature
// run before the spec validator, so an unsigned body is refused (401) before anyone reads its schema errors.
import type { IncomingMessage } from 'node:http';
import { parseJsonBody } from './body.js';
import { channelsByEntry, type Channel, type ChannelSet } from './channels.js';
import { deliveryLimitProblems } from './delivery-limits.js';
import { schemaViolation, unauthorized } from '../contract/errors.js';
import { SIGNATURE_HEADER, verifySignature } from './signature.js';

function entryIds(body: unknown): (string | undefined)[] {
  const entry = (body as { entry?: unknown } | null)?.entry;
  if (!Array.isArray(entry)) return [];
  return entry.map((e) => (typeof (e as { id?: unknown })?.id === 'string' ? (e as { id: string }).id : undefined));
}

/** Throws the 401 to answer unless `raw` is signed for every channel that has an app secret. */
export function checkSignature(req: IncomingMessage, raw: Buffer, channels: Channel[]): void {
  // Node joins a repeated header of this name into one string.
  const value = req.headers[SIGNATURE_HEADER] as string | undefined;
  const secrets = new Set(channels.map((c) => c.appSecret).filter((s): s is string => Boolean(s)));
  for (const secret of secrets) {
    const verdict = verifySignature(raw, value, secret);
    if (verdict === 'missing') {
      throw unauthorized('missing_signature', 'The X-Hub-Signature-256 header is required for this channel.', [
        { path: '/headers/x-hub-signature-256', message: 'missing' },
      ]);
    }
    if (verdict === 'mismatch') {
      throw unauthorized('bad_signature', "The X-Hub-Signature-256 header does not match the request body for this channel's app secret.", [
        { path: '/headers/x-hub-signature-256', message: 'signature does not match' },
      ]);
    }
  }
}

/**
 * Authenticates a delivery whose bytes are read: with a path channel, signature first, then parse;
 * without, parse, route each entry, then signature. Then the limits the schema cannot state.
 * Sets `req.body`; returns the channel(s) to store under; throws the ApiError to answer.
 */
export function authenticateDelivery(set: ChannelSet, req: IncomingMessage & { body?: unknown }, raw: Buffer, pathChannel: Channel | undefined, maxDepth: number): Channel[] | Channel {
  if (pathChannel) checkSignature(req, raw, [pathChannel]);
  const value = parseJsonBody(raw, maxDepth);
  req.body = value;
  let channels: Channel[] | Channel;
  if (pathChannel) {
    channels = pathChannel;
  } else {
    channels = channelsByEntry(set, entryIds(value));
    checkSignature(req, raw, channels);
  }
  const problems = deliveryLimitProblems(value);
  if (problems) throw schemaViolation(problems);
  return channels;
}
