// Reads a request body once, as raw bytes, for both the signature check (which must see the exact bytes)
// and JSON parsing. Refuses, in this order: wrong content type (415), too large (413), not UTF-8 or
// not JSON (400), nested deeper than `maxDepth` (400, checked before JSON.parse recurses into it).
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { ApiError, badRequest } from './errors.js';
import { nestsDeeperThan } from './json-depth.js';

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
    if (Number.isFinite(declared) && declared > limit) {
      req.resume(); // drain so the connection can answer
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
        failed = true;
        reject(payloadTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => failed || resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.on('error', (err) => failed || reject(badRequest('bad_request', `The request body could not be read: ${err.message}.`)));
  });
}

/** Parses already-read bytes; pure apart from the exceptions it throws. */
export function parseJsonBody(raw: Buffer, maxDepth: number): unknown {
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw badRequest('invalid_json', 'The request body is not valid UTF-8.', [{ path: '/body', message: 'invalid UTF-8' }]);
  }
  if (nestsDeeperThan(text, maxDepth)) {
    throw badRequest('too_deep', `The request body nests objects or arrays deeper than ${maxDepth} levels.`, [
      { path: '/body', message: `nesting deeper than ${maxDepth}` },
    ]);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest('invalid_json', 'The request body is not valid JSON.', [{ path: '/body', message: (err as Error).message }]);
  }
}

/** Reads, checks and parses a POST's JSON body onto `req.rawBody` and `req.body`. */
export async function readJsonBody(req: Request, options: BodyOptions): Promise<void> {
  if (!isJsonContentType(req.headers['content-type'])) {
    req.resume();
    throw new ApiError(415, 'unsupported_media_type', 'Send the body as application/json (UTF-8).', [
      { path: '/headers/content-type', message: `unsupported media type ${req.headers['content-type'] ?? '(none)'}` },
    ]);
  }
  const raw = await readRaw(req, options.limit);
  req.rawBody = raw;
  req.body = parseJsonBody(raw, options.maxDepth);
}

/** Express middleware: for POST requests, read, check and parse the JSON body. */
export function jsonBody(options: BodyOptions) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    if (req.method === 'POST') await readJsonBody(req, options);
    next();
  };
}
