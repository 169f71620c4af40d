// Deliveries and requests holding the longest unbroken strings a sender can put where the inbox console
// shows them (IDs, texts, URLs, attachment types, referral refs, paths, reasons), for its layout tests.
import { ACCOUNT_OPEN } from './channels.js';

const run = (c: string, n: number) => c.repeat(n);

/** Accepted on the unsigned channel: one event of each shape, every string as long as the contract allows and unbroken. */
export function longStringDeliveries(): object[] {
  const event = (extra: object, i: number) => ({
    sender: { id: `${run('9', 127)}${i}` },
    recipient: { id: ACCOUNT_OPEN },
    timestamp: 1732519200123 + i,
    ...extra,
  });
  const events = [
    { message: { mid: `mid-long-text-${run('m', 1000)}`, text: `long-text-${run('x', 5000)}` } },
    { message: { mid: 'mid-long-url', attachments: [{ type: `kind${run('k', 60)}`, payload: { url: `https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=${run('1', 3000)}` } }] } },
    { message_edit: { mid: 'mid-long-edit', text: `edited-${run('e', 3000)}`, num_edit: 1 } },
    { referral: { ref: `ref-${run('r', 2000)}`, source: `SOURCE_${run('S', 500)}`, type: 'OPEN_THREAD' } },
    { postback: { mid: 'mid-long-postback', title: `title-${run('t', 2000)}`, payload: `payload-${run('p', 2000)}` } },
    { reaction: { mid: 'mid-long-reaction', action: 'react', emoji: run('😀', 300), reaction: 'other' } },
  ];
  return events.map((extra, i) => ({ object: 'instagram', entry: [{ id: ACCOUNT_OPEN, time: 1732519200123, messaging: [event(extra, i)] }] }));
}

/** A delivery refused with the most failing paths the server lists (100), each under a long key. */
export function manyPathsDelivery(): object {
  return {
    object: 'instagram',
    entry: [{ id: ACCOUNT_OPEN, time: 1732519200123, messaging: Array.from({ length: 150 }, (_, i) => ({ sender: { id: String(i) }, timestamp: `not-a-number-${i}` })) }],
  };
}

/** A query parameter name as long as a request line comfortably carries: its path is the longest reason. */
export const LONG_PARAMETER = `p${run('q', 6000)}`;
/** A hub.mode of the same sort, for a refused handshake. */
export const LONG_MODE = `mode-${run('o', 3000)}`;
/** A channel ID far past what the contract allows, in the path. */
export const LONG_CHANNEL = `chan-${run('c', 3000)}`;
