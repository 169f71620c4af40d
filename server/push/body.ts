// Reads a request body once, as raw bytes, for both the signature check (which must see the exact bytes)
// and JSON parsing, which are separate steps so a signature can be checked before anything parses.
// Refuses, in this order: wrong content type or a content coding (415), too large (413), not UTF-8 or
// not JSON (400), nested deeper than `maxDepth` (400, checked before JSON.parse recurses into it).
// A refusal leaves the rest of the body unread; connection-guard.ts closes the connection after it.
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { ApiError, badRequest, notJson, schemaViolation } from '../contract/errors.js';
import { jsonShapeProblem, MAX_CONTAINERS } from './json-depth.js';

export interface BodyOptions {
  /** Largest body accepted, in bytes. */
  limit: number;
  /** Deepest object/array nesting accepted. */
  maxDepth: number;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** The body exactly as received; set for requests that carry one. */
    rawBody?: Buffer;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  const [type, ...params] = header.toLowerCase().split(';').map((s) => s.trim());
  if (type !== 'application/json') return false;
  const charset = params.find((p) => p.startsWith('charset='));
  return !charset || charset === 'charset=utf-8' || charset === 'charset="utf-8"';
}

function payloadTooLarge(limit: number): ApiError {
  return new ApiError(413, 'payload_too_large', `The request body is larger than the limit of ${limit} bytes.`);
}

function readRaw(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    // Stryker disable next-line BlockStatement: the streaming check below gives the same 413; this one only spares reading `limit` bytes first
    if (Number.isFinite(declared) && declared > limit) {
      reject(payloadTooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        // Stryker disable next-line BooleanLiteral: the promise is settled by the reject below; the flag only spares work
        failed = true;
        // Stop taking bytes in; the answer goes out with Connection: close.
        req.pause();
        reject(payloadTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => failed || resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.on('error', (err) => failed || reject(badRequest('bad_request', `The request body could not be read: ${err.message}.`)));
  });
}

/** A Content-Encoding other than identity: the body would have to be decoded, which this server does not do. */
function contentCoding(header: string | undefined): string | null {
  if (header === undefined) return null;
  const codings = header.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity');
  return codings.length ? codings.join(', ') : null;
}

/** Checks the headers of a JSON body and reads its bytes onto `req.rawBody`; parses nothing. */
export async function readRawBody(req: IncomingMessage & { rawBody?: Buffer }, options: Pick<BodyOptions, 'limit'>): Promise<Buffer> {
  if (!isJsonContentType(req.headers['content-type'])) {
    throw notJson([{ path: '/headers/content-type', message: `unsupported media type ${req.headers['content-type'] ?? '(none)'}` }]);
  }
  const coding = contentCoding(req.headers['content-encoding']);
  if (coding) {
    throw new ApiError(415, 'unsupported_media_type', 'Send the body without a content coding (Content-Encoding: identity).', [
      { path: '/headers/content-encoding', message: `unsupported content coding ${coding.slice(0, 100)}` },
    ]);
  }
  const raw = await readRaw(req, options.limit);
  req.rawBody = raw;
  return raw;
}

/** Decodes and parses already-read bytes; pure apart from the exceptions it throws. */
export function parseJsonBody(raw: Buffer, maxDepth: number): unknown {
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw badRequest('invalid_json', 'The request body is not valid UTF-8.', [{ path: '/body', message: 'invalid UTF-8' }]);
  }
  const shape = jsonShapeProblem(text, maxDepth);
  if (shape === 'too_deep') {
    throw badRequest('too_deep', `The request body nests objects or arrays deeper than ${maxDepth} levels.`, [
      { path: '/body', message: `nesting deeper than ${maxDepth}` },
    ]);
  }
  if (shape === 'too_many_containers') {
    throw schemaViolation([{ path: '/body', message: `must hold at most ${MAX_CONTAINERS} objects and arrays (a delivery carries at most 1000 events)` }]);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest('invalid_json', 'The request body is not valid JSON.', [{ path: '/body', message: (err as Error).message }]);
  }
}

/** Express middleware: reads and checks the body's bytes (parsing is the push route's next step). */
export function rawBody(options: Pick<BodyOptions, 'limit'>) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    await readRawBody(req, options);
    next();
  };
}
