// Sends one forwarded delivery: POST with the exact bytes, signed for the destination, bounded by the
// destination's timeout, reading at most the start of the answer (a receiver's error body is kept cut short).
import type { Destination } from './destinations.js';
import { signature } from './delivery.js';
import { cut, type SendResult } from './policy.js';

/** Bytes of an answer read at most; the rest is dropped unread. */
const READ_AT_MOST = 4096;

export type Send = (destination: Destination, bytes: Buffer) => Promise<SendResult>;

async function readStart(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    // Stryker disable next-line EqualityOperator: one more chunk at most, cut to READ_AT_MOST below
    while (size < READ_AT_MOST) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, READ_AT_MOST).toString('utf8');
}

const describe = (err: unknown): string => {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'timed out';
  return cut(e.cause?.code ?? e.cause?.message ?? e.message);
};

export const send: Send = async (destination, bytes) => {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'instagram-push-kit-relay' };
  if (destination.appSecret) headers['x-hub-signature-256'] = signature(destination.appSecret, bytes);
  const started = performance.now();
  const signal = AbortSignal.timeout(destination.timeoutMs);
  try {
    const response = await fetch(destination.url, { method: 'POST', headers, body: bytes as unknown as Uint8Array<ArrayBuffer>, redirect: 'manual', signal });
    const body = await readStart(response);
    return { status: response.status, body, retryAfter: response.headers.get('retry-after'), latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return { error: describe(err), latencyMs: Math.round(performance.now() - started) };
  }
};
