// "Copy as curl": a command that re-sends a delivery to this server. The signature and a handshake's
// verify token are placeholders: the console never knows a secret, and must not invent one.
import type { Described } from './describe.js';

import { PUSH_PATH } from '../push/push-path.js';

export { PUSH_PATH };
export const SIGNATURE_PLACEHOLDER = 'sha256=<SIGNATURE>';

export const VERIFY_TOKEN_PLACEHOLDER = '<VERIFY_TOKEN>';

/** A refused handshake replays with the mode it sent; the token is a placeholder (the server never kept it). */
function handshakeQuery(mode: string | null): string {
  const p = new URLSearchParams();
  if (mode !== null) p.set('hub.mode', mode);
  p.set('hub.challenge', '1158201444');
  return `?${p.toString()}&hub.verify_token=${VERIFY_TOKEN_PLACEHOLDER}`;
}

/**
 * Characters a terminal acts on when they are pasted (C0 and C1 controls, DEL: Ctrl-C, Ctrl-U, ESC
 * sequences, a newline that runs what came before), and those that make a line read other than it runs
 * (bidi overrides, line and paragraph separators). A refused body is the sender's bytes, unchecked.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'g');

function escapeUnsafe(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * POSIX single quotes: nothing inside is special except the quote itself, closed, escaped and reopened.
 * A string holding a character of UNSAFE is quoted as $'…' (bash, zsh, ksh, POSIX 2024) with each such
 * character escaped, so the pasted command holds no raw control character and does what it shows.
 */
export function shellQuote(s: string): string {
  if (!UNSAFE.test(s)) return `'${s.replace(/'/g, `'\\''`)}'`;
  return `$'${s.replace(/[\\']/g, (c) => `\\${c}`).replace(UNSAFE_ALL, escapeUnsafe)}'`;
}

/** The delivery an accepted event came in, rebuilt around the one event the inbox stored. */
export function deliveryBody(d: Described): string | null {
  if (d.item.type !== 'accepted') return d.item.refusal.body;
  const { item } = d.item;
  const entry: Record<string, unknown> = { id: item.entryId ?? d.recipient ?? undefined };
  if (item.entryTime !== null) entry.time = item.entryTime;
  entry.messaging = [item.event];
  return JSON.stringify({ object: 'instagram', entry: [entry] });
}

export function curlFor(d: Described, origin: string): string {
  const accepted = d.item.type === 'accepted';
  const method = accepted ? 'POST' : d.item.type === 'refused' ? d.item.refusal.method : 'POST';
  const handshake = d.item.type === 'refused' ? d.item.refusal.handshake : undefined;
  const path = d.item.type === 'accepted'
    ? `${PUSH_PATH}/${encodeURIComponent(d.item.item.channel)}`
    : d.item.refusal.path + (handshake ? handshakeQuery(handshake.mode) : '');
  // A refusal is replayed with the content type it came with, so a 415 reproduces as a 415.
  const contentType = d.item.type === 'refused' ? (d.item.refusal.contentType ?? 'application/json') : 'application/json';
  const body = deliveryBody(d);
  const lines = [`curl -X ${method} ${shellQuote(origin + path)}`];
  if (body !== null) lines.push(`-H ${shellQuote(`content-type: ${contentType}`)}`);
  if (method === 'POST') lines.push(`-H ${shellQuote(`x-hub-signature-256: ${SIGNATURE_PLACEHOLDER}`)}`);
  if (body !== null) lines.push(`--data-binary ${shellQuote(body)}`);
  const command = lines.join(' \\\n  ');
  return d.item.type === 'refused' && d.item.refusal.bodyTruncated ? `# The body was cut at 64 KiB when it was refused.\n${command}` : command;
}
