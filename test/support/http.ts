// Small HTTP helpers for tests: send deliveries (signed or not) and read answers as the sender sees them.
import { createHmac } from 'node:crypto';

export const PUSH_PATH = '/apiaccess/api/instagram/message';

export function sign(body: string | Uint8Array, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

async function answer(r: Response): Promise<Answer> {
  const text = await r.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, text, json };
}

export interface PushOptions {
  chanId?: string;
  secret?: string;
  headers?: Record<string, string>;
}

/** POSTs `body` (an object is serialised once) to the push path, signed with `secret` when given. */
export async function push(baseUrl: string, body: unknown, options: PushOptions = {}): Promise<Answer> {
  const raw = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.secret) headers['x-hub-signature-256'] = sign(raw, options.secret);
  const url = `${baseUrl}${PUSH_PATH}${options.chanId ? `/${options.chanId}` : ''}`;
  return answer(await fetch(url, { method: 'POST', headers, body: raw as BodyInit }));
}

export async function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  return answer(await fetch(url, { headers }));
}

export async function request(url: string, init: RequestInit): Promise<Answer> {
  return answer(await fetch(url, init));
}

/** A small text delivery with a unique mid. */
export function textDelivery(mid: string, accountId = '17841400000000000', text = 'hello'): object {
  return {
    object: 'instagram',
    entry: [
      {
        id: accountId,
        time: 1732519200123,
        messaging: [{ sender: { id: '6543210987654321' }, recipient: { id: accountId }, timestamp: 1732519199876, message: { mid, text } }],
      },
    ],
  };
}
