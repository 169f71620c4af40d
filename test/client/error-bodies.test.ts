// What the caller gets when the receiver answers outside the contract's ErrorBody: other JSON shapes,
// text, HTML or nothing at all, on refusals and on a 200. Always a PushError with the status that came
// back; `body` and `code` only when the body is the contract's error body.
import { createServer, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createPushClient, PushError } from '../../client/index.js';
import { textDelivery } from '../support/http.js';

let stub: Server | undefined;
afterEach(async () => {
  stub?.closeAllConnections();
  await new Promise((r) => (stub ? stub.close(r) : r(undefined)));
  stub = undefined;
});

/** A receiver on 127.0.0.1 that answers every request the same way, counting the requests. */
async function receiver(reply: (res: ServerResponse) => void): Promise<{ url: string; seen: () => number }> {
  let count = 0;
  stub = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count++;
      reply(res);
    });
  });
  await new Promise<void>((r) => stub!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(stub.address() as { port: number }).port}`, seen: () => count };
}

const send = (status: number, contentType: string | undefined, body: string) => (res: ServerResponse) =>
  res.writeHead(status, contentType === undefined ? {} : { 'content-type': contentType }).end(body);

async function pushTo(reply: (res: ServerResponse) => void, retries = 0): Promise<{ err: PushError; seen: number }> {
  const { url, seen } = await receiver(reply);
  const err = await createPushClient({ baseUrl: url, retries, retryDelayMs: 1 })
    .push(textDelivery('eb') as any, { chanId: 'c' })
    .then(
      () => {
        throw new Error('the push resolved');
      },
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(PushError);
  return { err: err as PushError, seen: seen() };
}

const errorBody = { resultMsg: 'Nope.', code: 'schema_violation', requestId: 'r-1', errors: [{ path: '/body/entry', message: 'bad' }] };

describe('a refusal whose body is not the contract error body', () => {
  it('HTML from a proxy: status kept, no body or code, the text as the cause', async () => {
    const html = '<html><body><h1>502 Bad Gateway</h1></body></html>';
    const { err } = await pushTo(send(502, 'text/html', html));
    expect(err).toMatchObject({ status: 502, body: undefined, code: undefined, attempts: 1 });
    expect(err.cause).toBe(html);
    expect(err.message).toBe('the receiver answered 502');
  });

  it('an empty body without a content type', async () => {
    const { err } = await pushTo(send(503, undefined, ''));
    expect(err).toMatchObject({ status: 503, body: undefined, code: undefined, attempts: 1 });
    expect(err.message).toBe('the receiver answered 503');
  });

  it('an empty body declared with Content-Length: 0', async () => {
    const { err } = await pushTo((res) => res.writeHead(403, { 'content-length': '0' }).end());
    expect(err).toMatchObject({ status: 403, body: undefined, attempts: 1 });
    expect(err.cause).toBeUndefined();
  });

  it('plain text', async () => {
    const { err } = await pushTo(send(400, 'text/plain', 'bad request'));
    expect(err).toMatchObject({ status: 400, body: undefined, code: undefined, cause: 'bad request' });
  });

  it.each([
    ['another JSON shape', { error: { message: 'quota exceeded' } }],
    ['JSON null', null],
    ['a JSON array', [errorBody]],
    ['a JSON string', 'schema_violation'],
    ['a JSON number', 400],
    ['no resultMsg', { ...errorBody, resultMsg: undefined }],
    ['a resultMsg that is not a string', { ...errorBody, resultMsg: 400 }],
    ['no code', { ...errorBody, code: undefined }],
    ['a code that is not a string', { ...errorBody, code: 400 }],
    ['no errors', { ...errorBody, errors: undefined }],
    ['errors that are not a list', { ...errorBody, errors: { path: '/body', message: 'bad' } }],
  ])('JSON with %s: the parsed value as the cause, no body or code', async (_name, value) => {
    const { err } = await pushTo(send(400, 'application/json', JSON.stringify(value)));
    expect(err).toMatchObject({ status: 400, body: undefined, code: undefined, attempts: 1 });
    expect(err.cause).toEqual(value);
    expect(err.message).toBe('the receiver answered 400');
  });

  it('the contract error body itself is kept whole, with its code and paths in the message', async () => {
    const { err } = await pushTo(send(400, 'application/json', JSON.stringify(errorBody)));
    expect(err).toMatchObject({ status: 400, body: errorBody, code: 'schema_violation', attempts: 1 });
    expect(err.message).toBe('400 schema_violation: Nope. (/body/entry: bad)');
  });

  it('a retryable status with a body of any shape is still retried, and reported with its attempts', async () => {
    const { err, seen } = await pushTo(send(500, 'text/html', '<h1>oops</h1>'), 2);
    expect(seen).toBe(3);
    expect(err).toMatchObject({ status: 500, body: undefined, attempts: 3, cause: '<h1>oops</h1>' });
  });
});

describe('a 200 the client cannot read as the acceptance', () => {
  it('a body that is not JSON: PushError with status 200, not "no answer"', async () => {
    const { err, seen } = await pushTo(send(200, 'application/json', '<html>OK</html>'), 2);
    expect(seen).toBe(1);
    expect(err).toMatchObject({ status: 200, body: undefined, attempts: 1 });
    expect(err.cause).toBeInstanceOf(SyntaxError);
    expect(err.message).toBe('the receiver answered 200 with a body that is not JSON');
  });

  it('an empty body, sent chunked or with Content-Length: 0', async () => {
    const chunked = await pushTo(send(200, 'application/json', ''));
    expect(chunked.err).toMatchObject({ status: 200, body: undefined, attempts: 1 });
    stub!.closeAllConnections();
    const declared = await pushTo((res) => res.writeHead(200, { 'content-length': '0' }).end());
    expect(declared.err).toMatchObject({ status: 200, body: undefined, attempts: 1 });
  });

  it('a handshake answered 200 with a declared empty body echoes nothing: PushError 200', async () => {
    const { url } = await receiver((res) => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '0' }).end());
    const err = await createPushClient({ baseUrl: url }).verifyWebhook({ chanId: 'c', verifyToken: 't', challenge: '42' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PushError);
    expect(err).toMatchObject({ status: 200, body: undefined, attempts: 1, message: 'the receiver answered 200' });
  });

  it('JSON of another shape on a 200 is handed back as it came', async () => {
    const { url } = await receiver(send(200, 'application/json', '{"status":"ok"}'));
    await expect(createPushClient({ baseUrl: url }).push(textDelivery('eb-ok') as any)).resolves.toEqual({ status: 'ok' });
  });
});
