// Static answers (the docs page, the console's files, the bundled spec) served from memory: compressed
// once per process with gzip and brotli (on zlib's threads, at first request, never per request),
// negotiated by Accept-Encoding, with a strong ETag and 304 on If-None-Match. Every answer sends the same
// shared Buffer, never a per-request copy: a thousand queued answers of /docs hold one page, not a
// thousand (pipelining.ts bounds how many are queued).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

export type Coding = 'br' | 'gzip' | 'identity';

export interface StaticAsset {
  readonly type: string;
  /** The bytes in each coding; a coding that would not be smaller is left out. */
  readonly bodies: Readonly<Partial<Record<Coding, Buffer>>> & { readonly identity: Buffer };
  /** The strong ETag of each coding's bytes. */
  readonly etags: Readonly<Partial<Record<Coding, string>>>;
}

const tag = (hash: string, coding: Coding) => `"${hash}${coding === 'identity' ? '' : `-${coding === 'gzip' ? 'gz' : 'br'}`}"`;

/** Compresses `content` once in each coding (quality 5 brotli: 20× faster than 11 for 10% more bytes). */
export async function compressAsset(content: Buffer | string, type: string): Promise<StaticAsset> {
  const identity = typeof content === 'string' ? Buffer.from(content) : content;
  const hash = createHash('sha256').update(identity).digest('base64url').slice(0, 22);
  const [gz, br] = await Promise.all([
    gzipAsync(identity, { level: 9 }),
    brotliAsync(identity, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 5,
        [constants.BROTLI_PARAM_SIZE_HINT]: identity.length,
        [constants.BROTLI_PARAM_MODE]: type.startsWith('image/') ? constants.BROTLI_MODE_GENERIC : constants.BROTLI_MODE_TEXT,
      },
    }),
  ]);
  const bodies: Partial<Record<Coding, Buffer>> & { identity: Buffer } = { identity };
  if (gz.length < identity.length) bodies.gzip = gz;
  if (br.length < identity.length) bodies.br = br;
  const etags: Partial<Record<Coding, string>> = {};
  for (const coding of Object.keys(bodies) as Coding[]) etags[coding] = tag(hash, coding);
  return { type, bodies, etags };
}

/** The q-value Accept-Encoding gives `coding` (directly or through `*`); 0 when absent. */
function qualityOf(accept: string, coding: string): number {
  let star = 0;
  for (const part of accept.split(',')) {
    const [name = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    const value = q === undefined ? 1 : Number(q.slice(2));
    const quality = Number.isFinite(value) ? value : 0;
    if (name === coding) return quality;
    if (name === '*') star = quality;
  }
  return star;
}

/** The coding to send: the one the client rates highest among those held, brotli first on a tie; identity when none. */
export function chooseCoding(acceptEncoding: string | undefined, asset: StaticAsset): Coding {
  if (!acceptEncoding) return 'identity';
  let best: Coding = 'identity';
  let bestQ = 0;
  for (const coding of ['br', 'gzip'] as const) {
    if (!asset.bodies[coding]) continue;
    const q = qualityOf(acceptEncoding, coding);
    if (q > bestQ) {
      best = coding;
      bestQ = q;
    }
  }
  return best;
}

/** True when If-None-Match names `etag` (weak comparison, RFC 9110 §13.1.2) or is `*`. */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const candidate = t.trim();
    return candidate === '*' || candidate.replace(/^W\//, '') === etag;
  });
}

/** Sends `asset` in the coding the request accepts, or 304 when the client holds it; `headers` are set on both. */
export function sendAsset(req: IncomingMessage, res: ServerResponse, asset: StaticAsset, headers: Record<string, string> = {}): void {
  const coding = chooseCoding(req.headers['accept-encoding'], asset);
  const etag = asset.etags[coding]!;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Vary', 'Accept-Encoding');
  res.setHeader('ETag', etag);
  if (noneMatch(req.headers['if-none-match'], etag)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  const body = asset.bodies[coding]!;
  res.setHeader('Content-Type', asset.type);
  res.setHeader('Content-Length', body.length);
  if (coding !== 'identity') res.setHeader('Content-Encoding', coding);
  res.end(body);
}

/**
 * An asset read with `load` and compressed at its first request, then kept. While `load` finds nothing
 * (not built yet) it resolves to undefined and tries again next time.
 */
export function lazyAsset(load: () => Buffer | string | undefined, type: string): () => Promise<StaticAsset | undefined> {
  let asset: Promise<StaticAsset> | undefined;
  return () => {
    if (!asset) {
      const content = load();
      if (content === undefined) return Promise.resolve(undefined);
      asset = compressAsset(content, type);
    }
    return asset;
  };
}

/**
 * The handler of a file the build writes (the docs page, the console's files): read and compressed at its
 * first request and then kept; until the build has written it, a 503 whose text says what to run.
 */
export function builtFileHandler(file: URL | string, type: string, notBuilt: string, headers: Record<string, string>) {
  const asset = lazyAsset(() => (existsSync(file) ? readFileSync(file) : undefined), type);
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const content = await asset();
    if (content) return sendAsset(req, res, content, headers);
    res.statusCode = 503;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end(notBuilt);
  };
}
