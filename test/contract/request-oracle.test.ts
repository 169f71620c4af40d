// The request oracle used on every request the client sends must itself tell good requests from bad.
import { describe, expect, it } from 'vitest';
import { checkRequest } from '../support/contract.js';

const body = JSON.stringify({ object: 'instagram', entry: [{ id: '1', time: 1, messaging: [] }] });

describe('the request oracle', () => {
  it('passes requests the spec allows', () => {
    expect(checkRequest('POST', '/apiaccess/api/instagram/message/chan-a', 'application/json', body)).toEqual([]);
    expect(checkRequest('GET', '/apiaccess/api/instagram/message?hub.mode=subscribe&hub.verify_token=t&hub.challenge=1', '', '')).toEqual([]);
    expect(checkRequest('GET', '/inbox/messages?limit=5', '', '')).toEqual([]);
  });
  it('flags what the spec forbids', () => {
    expect(checkRequest('PUT', '/apiaccess/api/instagram/message', 'application/json', body)).not.toEqual([]);
    expect(checkRequest('POST', '/apiaccess/api/instagram/message', 'text/plain', body)).not.toEqual([]);
    expect(checkRequest('POST', '/apiaccess/api/instagram/message', 'application/json', '{"entry":5}')).not.toEqual([]);
    expect(checkRequest('GET', '/apiaccess/api/instagram/message?hub.mode=nope&hub.verify_token=t&hub.challenge=1', '', '')).not.toEqual([]);
    expect(checkRequest('GET', '/apiaccess/api/instagram/message?hub.mode=subscribe', '', '')).not.toEqual([]);
    expect(checkRequest('GET', '/inbox/messages?limit=0&extra=1', '', '')).toHaveLength(2);
    expect(checkRequest('POST', '/apiaccess/api/instagram/message/a%20b', 'application/json', body)).not.toEqual([]);
  });
});
