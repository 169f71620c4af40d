// GET handshake on both path variants.
import type { Request, Response } from 'express';
import type { ChannelSet } from '../channels.js';
import { answerHandshake } from '../handshake.js';

const one = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function handshake(set: ChannelSet) {
  return (req: Request, res: Response): void => {
    const challenge = answerHandshake(set, one(req.params.chanId), {
      mode: one(req.query['hub.mode']),
      verifyToken: one(req.query['hub.verify_token']),
      challenge: one(req.query['hub.challenge']),
    });
    res.status(200).type('text/plain').send(challenge);
  };
}
