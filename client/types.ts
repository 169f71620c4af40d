// Friendly names for the contract's types, derived from generated/schema.ts so they never drift from the spec.
import type { components, operations, paths } from '../generated/schema.js';

type Schemas = components['schemas'];

export type { components, operations, paths };

/** One webhook delivery, the body of a push. */
export type WebhookDelivery = Schemas['WebhookDelivery'];
/** The updates for one Instagram account inside a delivery. */
export type Entry = Schemas['Entry'];
/** One event of `entry[].messaging` (or `entry[].standby`). */
export type MessagingEvent = Schemas['MessagingEvent'];
/** A message's content. */
export type Message = Schemas['Message'];
/** The attachment types the provider documents. */
export type KnownAttachmentType = Schemas['KnownAttachmentType'];
/**
 * An attachment type: the documented ones, or any other string Meta sends.
 * `(string & {})` keeps editors offering the known values instead of collapsing the union to `string`.
 */
export type AttachmentType = KnownAttachmentType | (string & {});
/** One attachment of a message. */
export type Attachment = Omit<Schemas['Attachment'], 'type'> & { type?: AttachmentType };
/** A sender or recipient. */
export type Participant = Schemas['Participant'];
/** The 200 body of a push. */
export type PushAccepted = Schemas['PushAccepted'];
/** The body every failure answers. */
export type ErrorBody = Schemas['ErrorBody'];
/** One failing path inside an {@link ErrorBody}. */
export type ErrorDetail = Schemas['ErrorDetail'];
/** The stable machine-readable name of a failure. */
export type ErrorCode = Schemas['ErrorCode'];
/** A page of the reference server's inbox. */
export type InboxPage = Schemas['InboxPage'];
/** One stored event of the reference server's inbox. */
export type InboxItem = Schemas['InboxItem'];
/** One item of the reference server's live feed (`GET /inbox/events`). */
export type InboxFeedItem = Schemas['InboxFeedItem'];
/** Deliveries accepted and refused per minute over the last hour (`GET /inbox/rates`). */
export type InboxRates = Schemas['InboxRates'];
/** A request the reference server refused, as its live feed reports it. */
export type Refusal = Schemas['Refusal'];
/** One event's forwarding to one destination, as the reference server's relay lists it. */
export type RelayForward = Schemas['RelayForward'];
/** One attempt of a forward. */
export type RelayAttempt = Schemas['RelayAttempt'];
/** A page of forwards. */
export type RelayForwardPage = Schemas['RelayForwardPage'];
/** A relay destination's state and backlog. */
export type RelayDestination = Schemas['RelayDestination'];
