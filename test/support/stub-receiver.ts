// A small receiver on node:http that keeps the contract for one channel, unless told to break it in one
// way: the receivers `ig-push check` must catch. Nothing of the reference server is used, so a
// deviation found here is the check's finding, not a side effect of the server under test.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export const STUB_CHANNEL = 'chan-stub';
export const STUB_SECRET = 'stub-secret';
export const STUB_VERIFY_TOKEN = 'stub-verify-token';
const PUSH_PATH = '/apiaccess/api/instagram/message';
const LIMIT = 1_048_576;

export type Fault =
  | 'none'
  /** Accepts a delivery whatever its signature, or without one. */
  | 'any-signature'
  /** Answers 500 to deliveries holding an edit (`message_edit`). */
  | 'edits-500'
  /** Answers the handshake with a challenge other than the one sent. */
  | 'other-challenge'
  /** Answers accepted deliveries 200 with a body other than {"resultMsg":"200"}. */
  | 'other-body'
  /** Takes 6 s to answer anything. */
  | 'slow';

export interface StubReceiver {
  url: string;
  /** The deliveries it answered 200. */
  accepted: string[];
  close(): Promise<void>;
}

function fail(res: ServerResponse, status: number, code: string, resultMsg: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ resultMsg, code, requestId: randomUUID(), errors: [] }));
}

function signatureOk(body: Buffer, header: string | undefined): 'missing' | 'bad' | 'ok' {
  if (!header) return 'missing';
  const expected = Buffer.from(`sha256=${createHmac('sha256', STUB_SECRET).update(body).digest('hex')}`);
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'ok' : 'bad';
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= LIMIT) chunks.push(chunk as Buffer);
  }
  return size > LIMIT ? undefined : Buffer.concat(chunks);
}

async function handle(fault: Fault, accepted: string[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://stub');
  const channel = url.pathname.startsWith(`${PUSH_PATH}/`) ? decodeURIComponent(url.pathname.slice(PUSH_PATH.length + 1)) : undefined;
  if (req.method === 'GET') {
    if (channel !== STUB_CHANNEL) return fail(res, 404, 'unknown_channel', 'No channel is configured with this ID.');
    const q = url.searchParams;
    if (q.get('hub.mode') !== 'subscribe') return fail(res, 400, 'bad_request', 'hub.mode must be "subscribe".');
    if (!q.has('hub.verify_token') || !q.has('hub.challenge')) return fail(res, 400, 'bad_request', 'hub.verify_token and hub.challenge are required.');
    if (q.get('hub.verify_token') !== STUB_VERIFY_TOKEN) return fail(res, 401, 'bad_verify_token', 'Wrong verify token.');
    const challenge = q.get('hub.challenge') ?? '';
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(fault === 'other-challenge' ? '1158201444' : challenge);
    return;
  }
  if (!/^application\/json\s*(;|$)/i.test(String(req.headers['content-type'] ?? ''))) {
    await readBody(req);
    return fail(res, 415, 'unsupported_media_type', 'Send the body as application/json.');
  }
  const body = await readBody(req);
  if (!body) return fail(res, 413, 'payload_too_large', 'The request body is larger than the limit.');
  if (channel !== STUB_CHANNEL) return fail(res, 404, 'unknown_channel', 'No channel is configured with this ID.');
  const signature = signatureOk(body, req.headers['x-hub-signature-256'] as string | undefined);
  if (fault !== 'any-signature' && signature === 'missing') return fail(res, 401, 'missing_signature', 'The signature is required.');
  if (fault !== 'any-signature' && signature === 'bad') return fail(res, 401, 'bad_signature', 'The signature does not match.');
  let text: string;
  try {
    text = body.toString('utf8');
    JSON.parse(text);
  } catch {
    return fail(res, 400, 'invalid_json', 'The request body is not valid JSON.');
  }
  if (fault === 'edits-500' && text.includes('"message_edit"')) return fail(res, 500, 'internal_error', 'The receiver could not store the delivery.');
  accepted.push(text);
  res.writeHead(200, { 'content-type': 'application/json' }).end(fault === 'other-body' ? '{"status":"ok"}' : '{"resultMsg":"200"}');
}

export async function startStubReceiver(fault: Fault = 'none'): Promise<StubReceiver> {
  const accepted: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    const answer = () => void handle(fault, accepted, req, res).catch(() => res.destroy());
    if (fault !== 'slow') return answer();
    const timer = setTimeout(() => {
      timers.delete(timer);
      answer();
    }, 6000);
    timers.add(timer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    accepted,
    async close() {
      for (const t of timers) clearTimeout(t);
      await new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      });
    },
  };
}
