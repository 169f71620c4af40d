// One reading of a receiver URL for every command and the conformance run: each accepted form, and
// the ambiguous or broken ones refused with the forms that work.
import { describe, expect, it } from 'vitest';
import { ReceiverUrlError, resolveReceiverUrl, withQuery } from '../../client/receiver-url.js';

const P = '/apiaccess/api/instagram/message';

describe('resolveReceiverUrl', () => {
  it('reads a base URL: the contract paths appended, with or without a channel', () => {
    expect(resolveReceiverUrl('http://h:1', 'c a')).toMatchObject({ form: 'base', channel: 'c a', url: `http://h:1${P}/c%20a`, accountUrl: `http://h:1${P}` });
    expect(resolveReceiverUrl('http://h:1/')).toMatchObject({ form: 'base', url: `http://h:1${P}` });
  });

  it('reads the push URL, with a prefix, with or without a channel; the channel in the URL is the one used', () => {
    const push = resolveReceiverUrl(`https://gw.example/tenant${P}/`, 'chan-a');
    expect(push).toMatchObject({ form: 'push', url: `https://gw.example/tenant${P}/chan-a`, accountUrl: `https://gw.example/tenant${P}` });
    expect(push.channelUrl!('x')).toBe(`https://gw.example/tenant${P}/x`);
    expect(resolveReceiverUrl(`http://h${P}/chan-a`)).toMatchObject({ form: 'push-channel', channel: 'chan-a', url: `http://h${P}/chan-a`, accountUrl: `http://h${P}` });
    expect(resolveReceiverUrl(`http://h${P}/chan-a`, 'chan-a').channel).toBe('chan-a');
  });

  it('reads a {chanId} template, and the receiver’s own URL as given (trailing slash and query kept)', () => {
    const t = resolveReceiverUrl('http://h/hooks/{chanId}/in', 'c');
    expect(t).toMatchObject({ form: 'template', url: 'http://h/hooks/c/in' });
    expect(t.channelUrl!('d')).toBe('http://h/hooks/d/in');
    expect(t.accountUrl).toBeUndefined();
    const own = resolveReceiverUrl('http://h/webhook/?k=1');
    expect(own).toMatchObject({ form: 'as-given', url: 'http://h/webhook/?k=1' });
    expect([own.channelUrl, own.accountUrl]).toEqual([undefined, undefined]);
    expect(withQuery('http://h/webhook?k=1', { 'hub.mode': 'subscribe' })).toBe('http://h/webhook?k=1&hub.mode=subscribe');
  });

  it.each([
    ['localhost:18901', undefined, /"localhost:18901" is not an absolute URL \(did you mean http:\/\/localhost:18901\?\)/],
    ['127.0.0.1:8080/webhook', undefined, /did you mean http:\/\/127\.0\.0\.1:8080\/webhook\?/],
    ['ftp://h', undefined, /must be http or https/],
    ['http://h/x#y', undefined, /fragment/],
    ['http://u:p@h', undefined, /credentials/],
    [`http://h${P}/chan-a`, 'chan-b', /names channel "chan-a", but --channel says "chan-b"/],
    [`http://h${P}/a/b`, undefined, /goes on after the push path/],
    ['http://h/apiaccess/api/instagram', undefined, /cut short/],
    ['http://h/{chanId}', undefined, /is a template: name the channel/],
    ['http://h/{chanId}/{chanId}', 'c', /more than once/],
  ])('refuses %s, listing the accepted forms', (url, channel, message) => {
    const err = (() => {
      try {
        resolveReceiverUrl(url, channel);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(ReceiverUrlError);
    expect(err!.message).toMatch(message);
    expect(err!.message).toContain('accepted forms:\n  http://host:port ');
  });
});
