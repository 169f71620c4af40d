// Type tests: the generated types catch mistakes at compile time (`npm test` type-checks this file with
// tsc before vitest runs it; every @ts-expect-error must be needed or tsc fails).
import { describe, expectTypeOf, it } from 'vitest';
import { createPushClient, type AttachmentType, type ErrorBody, type PushAccepted, type WebhookDelivery } from '../../client/index.js';

const client = createPushClient({ baseUrl: 'http://127.0.0.1:1', retries: 0, timeoutMs: 1 });
const never = <T>(p: Promise<T>) => p.catch(() => undefined);

describe('types', () => {
  it('types the payload from the spec and refuses a wrong field type', () => {
    const ok: WebhookDelivery = { object: 'instagram', entry: [{ id: '1', time: 1, messaging: [{ message: { mid: 'm', is_echo: true } }] }] };
    expectTypeOf(ok).toMatchTypeOf<WebhookDelivery>();
    // @ts-expect-error time is a number
    const badTime: WebhookDelivery = { entry: [{ time: 'yesterday' }] };
    // @ts-expect-error is_echo is a boolean
    const badEcho: WebhookDelivery = { entry: [{ messaging: [{ message: { is_echo: 'yes' } }] }] };
    void [badTime, badEcho];
  });
  it('keeps the known attachment types while accepting any string', () => {
    expectTypeOf<'image'>().toMatchTypeOf<AttachmentType>();
    expectTypeOf<'ig_reel'>().toMatchTypeOf<AttachmentType>();
    // @ts-expect-error not a string
    const n: AttachmentType = 7;
    void n;
  });
  it('types results and errors', () => {
    expectTypeOf(client.push).returns.resolves.toEqualTypeOf<PushAccepted>();
    expectTypeOf(client.verifyWebhook).returns.resolves.toEqualTypeOf<string>();
    expectTypeOf<ErrorBody['code']>().toMatchTypeOf<string>();
  });
  it('refuses an unknown path and a missing path parameter on the raw client', () => {
    // @ts-expect-error no such path
    void never(client.raw.POST('/apiaccess/api/instagram/messages', { body: {} }));
    // @ts-expect-error chanId is required on this path
    void never(client.raw.POST('/apiaccess/api/instagram/message/{chanId}', { body: {} }));
    // @ts-expect-error hub.mode must be "subscribe"
    void never(client.raw.GET('/apiaccess/api/instagram/message', { params: { query: { 'hub.mode': 'unsubscribe', 'hub.verify_token': 't', 'hub.challenge': 'c' } } }));
    void never(client.raw.POST('/apiaccess/api/instagram/message/{chanId}', { params: { path: { chanId: 'a' } }, body: {} }));
  });
});
