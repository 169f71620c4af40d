// How an event's forwarding reads in the console: a short line per destination in the timeline
// ("delivered", "retrying in 4 s", "pending", "dead: why"), and the detail pane's section with each
// destination's newest attempts and the forwarded delivery the event travels in. Built from the forwards
// GET /relay/forwards lists; text only, never markup.
import type { RelayAttempt, RelayForward } from 'instagram-push-kit';
import { h } from './dom.js';
import { localTime } from './format.js';

/** Characters of a receiver's error shown in the timeline and in an attempt's row (the rest is in its tooltip). */
const TIMELINE_ERROR = 90;
const ATTEMPT_ERROR = 160;

export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** "12 s", "4 min", "3 h 5 min", "2 d 4 h": how long ago (or until), for people. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return m % 60 ? `${hours} h ${m % 60} min` : `${hours} h`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** The countdown a retrying forward shows; `dueMs` and `nowMs` on the same clock. */
export function retryText(dueMs: number, nowMs: number): string {
  const s = Math.ceil((dueMs - nowMs) / 1000);
  return s > 0 ? `retrying in ${s} s` : 'retrying now';
}

export type Tone = 'ok' | 'bad' | 'wait';
export const toneOf = (f: RelayForward): Tone => (f.state === 'delivered' ? 'ok' : f.state === 'dead' ? 'bad' : 'wait');

/**
 * The state as words. A retrying forward's element carries its due time (on this browser's clock, so
 * the page's one-second tick can count down without asking the server: see relay-view.ts).
 */
function stateElement(f: RelayForward, offsetMs: number): HTMLElement {
  if (f.state === 'retrying' && f.nextAttemptAt !== null) {
    const due = Date.parse(f.nextAttemptAt) - offsetMs;
    return h('span', { class: 'fwd-state', 'data-due': String(due) }, retryText(due, Date.now()));
  }
  return h('span', { class: 'fwd-state' }, f.state);
}

/** Updates every countdown under `root` (once a second while the page is visible). */
export function tickCountdowns(root: ParentNode, nowMs = Date.now()): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-due]')) {
    const text = retryText(Number(el.dataset.due), nowMs);
    if (el.textContent !== text) el.textContent = text;
  }
}

/** The timeline's line: one item per destination. `offsetMs`: the server's clock minus this browser's. */
export function forwardingLine(forwards: RelayForward[], offsetMs: number): HTMLElement[] {
  return forwards.map((f) =>
    h(
      'span',
      { class: `fwd ${toneOf(f)}`, 'data-destination': f.destination, 'data-state': f.state },
      h('span', { class: 'fwd-dest' }, `→ ${f.destination}`),
      ' ',
      stateElement(f, offsetMs),
      f.state === 'dead' && f.lastError && h('span', { class: 'fwd-reason' }, `: ${cut(f.lastError, TIMELINE_ERROR)}`),
    ),
  );
}

function attemptRow(a: RelayAttempt): HTMLTableRowElement {
  return h(
    'tr',
    {},
    h('td', {}, h('time', { datetime: a.at }, localTime(Date.parse(a.at)))),
    h('td', {}, a.status === null ? 'no answer' : String(a.status)),
    h('td', {}, `${a.latencyMs} ms`),
    h('td', { class: 'attempt-error', title: a.error ?? undefined }, a.error === null ? '' : cut(a.error, ATTEMPT_ERROR)),
  );
}

function destinationBlock(f: RelayForward, offsetMs: number, index: number): HTMLElement {
  const id = `fwd-${index}`;
  const shown = f.recentAttempts.length;
  return h(
    'div',
    { class: 'fwd-block', 'data-destination': f.destination, 'data-state': f.state },
    h(
      'p',
      { class: 'fwd-head' },
      h('strong', { id }, f.destination),
      ' ',
      h('span', { class: `badge ${toneOf(f)}` }, stateElement(f, offsetMs)),
      ` · ${f.attempts} ${f.attempts === 1 ? 'attempt' : 'attempts'}`,
      f.lastStatus !== null && ` · last status ${f.lastStatus}`,
      f.deliveryId !== null && h('span', { class: 'fwd-delivery' }, ` · delivery ${f.deliveryId}`),
    ),
    // A delivery is named by its first event: any other member travels with at least that one.
    f.deliveryId !== null && f.deliveryId !== f.eventId && h('p', { class: 'note' }, `Sent in one delivery with event ${f.deliveryId} and the others grouped with it: the attempts below are the delivery's.`),
    f.state === 'dead' && h('p', { class: 'fwd-why' }, `Dead: ${f.lastError ?? 'no reason recorded'}`),
    f.state === 'retrying' && f.lastError && h('p', { class: 'note' }, `Last error: ${cut(f.lastError, ATTEMPT_ERROR)}`),
    f.state === 'pending' && f.attempts === 0 && h('p', { class: 'note' }, 'Not attempted yet.'),
    shown > 0 &&
      h(
        'table',
        { class: 'attempts', 'aria-labelledby': id },
        h('caption', { class: 'visually-hidden' }, `Attempts to ${f.destination}, newest first`),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Time'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Latency'), h('th', { scope: 'col' }, 'Error'))),
        h('tbody', {}, ...f.recentAttempts.map(attemptRow)),
      ),
    f.attempts > shown && shown > 0 && h('p', { class: 'note' }, `The newest ${shown} of ${f.attempts} attempts.`),
  );
}

/** The detail pane's forwarding section; null when the event is forwarded nowhere. */
export function forwardingSection(forwards: RelayForward[], offsetMs: number): HTMLElement | null {
  if (forwards.length === 0) return null;
  return h(
    'section',
    { class: 'block forwarding-block', 'aria-labelledby': 'forwarding-title' },
    h('h3', { id: 'forwarding-title' }, 'Forwarding'),
    ...forwards.map((f, i) => destinationBlock(f, offsetMs, i)),
  );
}
