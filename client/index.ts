// Public entry of `instagram-push-kit`: the client, the signature helpers and the contract's types.
export { createPushClient, type PushClient, type PushClientOptions, type PushOptions, type VerifyOptions } from './push-client.js';
export { PushError, isPushError } from './push-error.js';
export { createRelayClient, type ForwardFilter, type RelayClient, type RelayClientOptions } from './relay-client.js';
export { signPayload, signLegacyPayload, verifyPayload, SIGNATURE_HEADER, LEGACY_SIGNATURE_HEADER } from './signature.js';
export { isRetryable, retryAfterMs } from './retry.js';
export { VERSION, USER_AGENT } from './version.js';
export type {
  Attachment,
  AttachmentType,
  Entry,
  ErrorBody,
  ErrorCode,
  ErrorDetail,
  InboxFeedItem,
  InboxRates,
  InboxItem,
  InboxPage,
  KnownAttachmentType,
  Message,
  MessagingEvent,
  Participant,
  PushAccepted,
  Refusal,
  RelayAttempt,
  RelayDestination,
  RelayForward,
  RelayForwardPage,
  WebhookDelivery,
  components,
  operations,
  paths,
} from './types.js';
