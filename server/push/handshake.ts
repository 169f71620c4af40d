// Meta's subscription handshake: decide whether to echo the challenge.
import { sameSecret, type ChannelSet, channelById } from './channels.js';
import { badRequest, unauthorized } from '../contract/errors.js';

export interface HandshakeQuery {
  mode: string | undefined;
  verifyToken: string | undefined;
  challenge: string | undefined;
}

/** Returns the challenge to echo, or throws the ApiError to answer. */
export function answerHandshake(set: ChannelSet, chanId: string | undefined, q: HandshakeQuery): string {
  if (q.mode !== 'subscribe') {
    throw badRequest('bad_request', 'hub.mode must be "subscribe".', [{ path: '/query/hub.mode', message: 'must be equal to one of the allowed values: subscribe' }]);
  }
  const token = q.verifyToken ?? '';
  const candidates = chanId !== undefined ? [channelById(set, chanId)] : [...set.byId.values()].filter((c) => c.enabled);
  const matches = !set.configured || candidates.some((c) => c.verifyToken !== undefined && sameSecret(c.verifyToken, token));
  if (!matches) {
    throw unauthorized('bad_verify_token', 'hub.verify_token does not match the verify token configured for this channel.', [
      { path: '/query/hub.verify_token', message: 'verify token does not match' },
    ]);
  }
  return q.challenge ?? '';
}
