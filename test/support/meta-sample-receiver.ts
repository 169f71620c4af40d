// A receiver written the way Meta's own webhook samples are (an Express 4 app), not to this contract: it
// is what `ig-push check` meets in the field. Each fault it has can be switched off, so a test shows the
// check's report of one fault alone; `CORRECT_SAMPLE` switches off every fault Meta's rules judge, leaving
// what Meta's rules allow (EVENT_RECEIVED as text/html, 403 refusals). Plain node:http: the point is the
// behaviour, not the framework. Run as a file (`node --import tsx meta-sample-receiver.ts '{"port":…}'`),
// it is a process of its own that really exits when it crashes, for a supervisor to restart.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';

export const SAMPLE_SECRET = 'sample-app-secret';
export const SAMPLE_VERIFY_TOKEN = 'sample-verify-token';

export interface SampleFaults {
  /** Where the webhook lives (default `/webhook`, as in Meta's samples). */
  path?: string;
  /** Checks only the legacy `X-Hub-Signature` (sha1), refusing a delivery without it (default true). */
  legacyOnly?: boolean;
  /** Refuses with Express's HTML error pages (403/400/413 text/html) rather than the contract's JSON (default true). */
  htmlRefusals?: boolean;
  /** body-parser's limit, in bytes (default 100 KB, Express's default). */
  bodyLimit?: number;
  /** Answers 200 to a delivery holding an event without `sender` (an edit), then dies (default false). */
  crashOnNoSender?: boolean;
  /** Never answers a handshake that lacks one of its hub.* parameters (default true). */
  hangOnMissingParameter?: boolean;
  /** The port to listen on (default 0: a free one). */
  port?: number;
}

/**
 * A receiver that keeps Meta's rules: it checks X-Hub-Signature-256, takes Meta's largest delivery, and
 * does not crash; it still answers EVENT_RECEIVED as text/html and refuses with Express's 403 page.
 */
export const CORRECT_SAMPLE: SampleFaults = { legacyOnly: false, bodyLimit: 2 * 1024 * 1024, crashOnNoSender: false, hangOnMissingParameter: false };

export interface SampleReceiver {
  /** The callback URL one would register with Meta: `http://127.0.0.1:PORT/webhook`. */
  url: string;
  accepted: string[];
  /** True once it "crashed". */
  crashed: () => boolean;
  close(): Promise<void>;
}

const page = (text: string, at: string) =>
  `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>${text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')}<br> &nbsp; &nbsp;at ${at}</pre>\n</body>\n</html>\n`;

export async function startSampleReceiver(faults: SampleFaults = {}): Promise<SampleReceiver> {
  const path = faults.path ?? '/webhook';
  const legacyOnly = faults.legacyOnly ?? true;
  const html = faults.htmlRefusals ?? true;
  const limit = faults.bodyLimit ?? 100 * 1024;
  const accepted: string[] = [];
  let crashed = false;
  const hung = new Set<ServerResponse>();

  const refuse = (res: ServerResponse, status: number, text: string) => {
    const at = status === 403 ? 'verifyRequestSignature (/app/app.js:42:11)' : 'readStream (/app/node_modules/raw-body/index.js:156:17)';
    if (html) res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(page(text, at));
    else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ resultMsg: text, code: status === 413 ? 'payload_too_large' : 'bad_signature', requestId: 'r', errors: [] }));
  };

  const signatureProblem = (body: Buffer, req: IncomingMessage): string | undefined => {
    const [header, algorithm] = legacyOnly ? ['x-hub-signature', 'sha1'] : ['x-hub-signature-256', 'sha256'];
    const given = req.headers[header];
    if (typeof given !== 'string') return `Error: Couldn't find "${header}" in headers.`;
    const expected = Buffer.from(`${algorithm}=${createHmac(algorithm, SAMPLE_SECRET).update(body).digest('hex')}`);
    return given.length === expected.length && timingSafeEqual(Buffer.from(given), expected) ? undefined : "Error: Couldn't validate the request signature.";
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sample');
    if (url.pathname !== path) {
      for await (const _ of req);
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end(`<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot ${req.method} ${url.pathname}</pre>\n</body>\n</html>\n`);
      return;
    }
    if (req.method === 'GET') {
      const q = url.searchParams;
      const missing = !q.has('hub.mode') || !q.has('hub.verify_token') || !q.has('hub.challenge');
      // Meta's sample only answers when both mode and token are present: otherwise the request hangs.
      if (missing && (faults.hangOnMissingParameter ?? true)) return void hung.add(res);
      if (q.get('hub.mode') === 'subscribe' && q.get('hub.verify_token') === SAMPLE_VERIFY_TOKEN) return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(q.get('hub.challenge'));
      return void res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end('Forbidden');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size <= limit) chunks.push(chunk as Buffer);
    }
    if (size > limit) return refuse(res, 413, 'PayloadTooLargeError: request entity too large');
    const body = Buffer.concat(chunks);
    const problem = signatureProblem(body, req);
    if (problem) return refuse(res, 403, problem);
    let delivery: { entry?: { messaging?: { sender?: unknown }[] }[] };
    try {
      delivery = JSON.parse(body.toString('utf8'));
    } catch {
      return refuse(res, 400, 'SyntaxError: Unexpected end of JSON input');
    }
    accepted.push(body.toString('utf8'));
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('EVENT_RECEIVED');
    // Meta's sample reads `webhookEvent.sender.id` after answering: an event without sender throws, and the process dies.
    const noSender = (delivery.entry ?? []).some((e) => (e.messaging ?? []).some((m) => m.sender === undefined));
    if (faults.crashOnNoSender && noSender) {
      crashed = true;
      res.on('finish', () => {
        server.close();
        server.closeAllConnections();
      });
    }
  }

  const server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  await new Promise<void>((resolve) => server.listen(faults.port ?? 0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}${path}`,
    accepted,
    crashed: () => crashed,
    async close() {
      for (const res of hung) res.destroy();
      await new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      });
    },
  };
}

// As a process: the faults as JSON in argv[2]; prints its URL once listening, and exits 1 when it crashes.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const receiver = await startSampleReceiver(JSON.parse(process.argv[2] ?? '{}') as SampleFaults);
  process.stdout.write(`listening ${receiver.url}\n`);
  const watch = setInterval(() => {
    // A moment for the 200 to leave, as the sample's process dies only after answering.
    if (receiver.crashed()) setTimeout(() => process.exit(1), 50);
  }, 20);
  process.on('SIGTERM', () => {
    clearInterval(watch);
    void receiver.close().then(() => process.exit(0));
  });
}
