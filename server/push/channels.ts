// Channels and how a delivery finds its channel: the path's chanId decides, else entry[].id.
import { timingSafeEqual } from 'node:crypto';
import { ApiError, badRequest, notFound, unauthorized } from '../contract/errors.js';

export interface Channel {
  id: string;
  accountId?: string;
  appSecret?: string;
  verifyToken?: string;
  enabled: boolean;
}

/** Where deliveries go when the server runs with no configuration (the open sandbox). */
export const SANDBOX_CHANNEL: Channel = { id: 'sandbox', enabled: true };

export interface ChannelSet {
  /** False when no configuration was given: any channel, no signature, any verify token. */
  configured: boolean;
  byId: Map<string, Channel>;
  byAccount: Map<string, Channel>;
}

export function channelSet(channels: Channel[] | undefined): ChannelSet {
  const list = channels ?? [];
  return {
    configured: channels !== undefined,
    byId: new Map(list.map((c) => [c.id, c])),
    // Stryker disable next-line MethodExpression: a channel without an account ID would sit under the key undefined, which no lookup uses (channelsByEntry looks up strings only)
    byAccount: new Map(list.filter((c) => c.accountId).map((c) => [c.accountId!, c])),
  };
}

function usable(channel: Channel): Channel {
  if (!channel.enabled) {
    throw unauthorized('channel_disabled', `Channel ${channel.id} is disabled: check that the related service is purchased and the account is active.`);
  }
  return channel;
}

/** The path's chanId decoded, or the 400 both push paths answer for a malformed segment. */
export function decodeChanId(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw malformedChanId();
  }
}

export const malformedChanId = () =>
  badRequest('bad_request', 'The channel ID in the path is not a valid URL segment.', [{ path: '/path/chanId', message: 'malformed percent-encoding' }]);

/** The channel named by the path, or a 404/401 ApiError. */
export function channelById(set: ChannelSet, chanId: string): Channel {
  if (!set.configured) return { id: chanId, enabled: true };
  const channel = set.byId.get(chanId);
  if (!channel) throw notFound('unknown_channel', `No channel is configured with the ID "${chanId}".`, [{ path: '/path/chanId', message: 'unknown channel' }]);
  return usable(channel);
}

/** The channel of each entry, by account ID, when the path names no channel. */
export function channelsByEntry(set: ChannelSet, entryIds: (string | undefined)[]): Channel[] {
  if (!set.configured) return entryIds.map(() => SANDBOX_CHANNEL);
  if (entryIds.length === 0) {
    throw notFound('unknown_channel', 'The delivery names no account (entry[].id) and the path names no channel.', [{ path: '/body/entry', message: 'no entry to route by' }]);
  }
  return entryIds.map((id, i) => {
    // Stryker disable next-line ConditionalExpression: byAccount holds no key undefined (channelSet), so get(undefined) gives the same undefined
    const channel = id === undefined ? undefined : set.byAccount.get(id);
    if (!channel) {
      throw notFound('unknown_channel', `No channel is configured for the account ID "${id ?? ''}" of entry ${i}.`, [
        { path: `/body/entry/${i}/id`, message: 'no channel has this account ID' },
      ]);
    }
    return usable(channel);
  });
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export type { ApiError };
