// GET handshake on both path variants.
import type { Request, Response } from 'express';
import type { ChannelSet } from '../push/channels.js';
import { badRequest } from '../contract/errors.js';
import { answerHandshake } from '../push/handshake.js';

const one = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The query parser turns percent-encoding that is not UTF-8 (`%ff%fe`) into U+FFFD, so the challenge
 * echoed would differ from the one sent. Decoded strictly here from the raw query, such a challenge is
 * refused instead.
 */
export function challengeDecodes(url: string): boolean {
  const mark = url.indexOf('?');
  if (mark === -1) return true;
  const query = url.slice(mark + 1);
  for (const pair of query.split('&')) {
    if (!pair.startsWith('hub.challenge=')) continue;
    try {
      decodeURIComponent(pair.slice('hub.challenge='.length).replace(/\+/g, ' '));
    } catch {
      return false;
    }
  }
  return true;
}

export function handshake(set: ChannelSet) {
  return (req: Request, res: Response): void => {
    if (!challengeDecodes(req.originalUrl)) {
      throw badRequest('bad_request', 'hub.challenge is not valid percent-encoded UTF-8, so it cannot be echoed unchanged.', [
        { path: '/query/hub.challenge', message: 'malformed percent-encoding' },
      ]);
    }
    const challenge = answerHandshake(set, one(req.params.chanId), {
      mode: one(req.query['hub.mode']),
      verifyToken: one(req.query['hub.verify_token']),
      challenge: one(req.query['hub.challenge']),
    });
    res.status(200).type('text/plain').send(challenge);
  };
}
