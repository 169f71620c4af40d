// How an event's forwarding reads in the console: a short line per destination in the timeline
// ("delivered", "retrying in 4 s", "circuit open: next probe in 28 s", "pending", "dead: why"), and the
// detail pane's section with each destination's newest attempts, the forwarded delivery the event
// travels in and, when dead, how to replay it. Built from the forwards GET /relay/forwards lists and the
// circuits GET /relay/destinations tells; text only, never markup.
import type { RelayAttempt, RelayDestination, RelayForward } from 'instagram-push-kit';
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

/** The countdown of a forward waiting behind an open circuit: nothing goes before the next probe. */
export function probeText(dueMs: number, nowMs: number): string {
  const s = Math.ceil((dueMs - nowMs) / 1000);
  return s > 0 ? `circuit open: next probe in ${s} s` : 'circuit open: probing now';
}

export type Wording = 'retry' | 'probe';
export const countdownText = (wording: Wording, dueMs: number, nowMs: number) => (wording === 'probe' ? probeText : retryText)(dueMs, nowMs);

/** Each destination's circuit and next attempt (GET /relay/destinations), by id. */
export type Circuits = ReadonlyMap<string, Pick<RelayDestination, 'circuit' | 'nextAttemptAt' | 'paused'>>;

/** Words for the half-open state: the probe has gone, its answer decides. */
export const HALF_OPEN = 'circuit half-open: a probe is on its way';

/** How to send a dead event again: the CLI command and the API call (both need the admin token). */
export const replayHint = (eventId: string, destination: string) =>
  `Replay it with \`ig-push relay replay ${destination} --event ${eventId}\`, or POST /relay/events/${eventId}/replay?destination=${destination} (admin token).`;

export type Tone = 'ok' | 'bad' | 'wait';
export const toneOf = (f: RelayForward): Tone => (f.state === 'delivered' ? 'ok' : f.state === 'dead' ? 'bad' : 'wait');

/** A countdown element: it carries its due time (on this browser's clock) and its wording for the tick. */
export function countdown(wording: Wording, dueMs: number, cls = 'fwd-state'): HTMLElement {
  return h('span', { class: cls, 'data-due': String(dueMs), 'data-wording': wording }, countdownText(wording, dueMs, Date.now()));
}

/**
 * The state as words. A waiting forward counts down to its retry, or, behind an open circuit, to the
 * destination's next probe (whichever is later: nothing goes before either), so the page's one-second
 * tick can count down without asking the server (see relay-view.ts).
 */
function stateElement(f: RelayForward, offsetMs: number, circuits?: Circuits): HTMLElement {
  const d = circuits?.get(f.destination);
  const waiting = f.state === 'retrying' || f.state === 'pending';
  const own = f.state === 'retrying' && f.nextAttemptAt !== null ? Date.parse(f.nextAttemptAt) - offsetMs : undefined;
  if (waiting && d && !d.paused && d.circuit === 'half-open') return h('span', { class: 'fwd-state' }, HALF_OPEN);
  if (waiting && d && !d.paused && d.circuit === 'open' && d.nextAttemptAt !== null) {
    const probe = Date.parse(d.nextAttemptAt) - offsetMs;
    if (own === undefined || own <= probe) return countdown('probe', probe);
  }
  if (own !== undefined) return countdown('retry', own);
  return h('span', { class: 'fwd-state' }, f.state);
}

/** Updates every countdown under `root` (once a second while the page is visible). */
export function tickCountdowns(root: ParentNode, nowMs = Date.now()): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-due]')) {
    const text = countdownText(el.dataset.wording === 'probe' ? 'probe' : 'retry', Number(el.dataset.due), nowMs);
    if (el.textContent !== text) el.textContent = text;
  }
}

/** The timeline's line: one item per destination. `offsetMs`: the server's clock minus this browser's. */
export function forwardingLine(forwards: RelayForward[], offsetMs: number, circuits?: Circuits): HTMLElement[] {
  return forwards.map((f) =>
    h(
      'span',
      { class: `fwd ${toneOf(f)}`, 'data-destination': f.destination, 'data-state': f.state },
      h('span', { class: 'fwd-dest' }, `→ ${f.destination}`),
      ' ',
      stateElement(f, offsetMs, circuits),
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

function destinationBlock(f: RelayForward, offsetMs: number, index: number, circuits?: Circuits): HTMLElement {
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
      h('span', { class: `badge ${toneOf(f)}` }, stateElement(f, offsetMs, circuits)),
      ` · ${f.attempts} ${f.attempts === 1 ? 'attempt' : 'attempts'}`,
      f.lastStatus !== null && ` · last status ${f.lastStatus}`,
      f.deliveryId !== null && h('span', { class: 'fwd-delivery' }, ` · delivery ${f.deliveryId}`),
    ),
    // A delivery is named by its first event: any other member travels with at least that one.
    f.deliveryId !== null && f.deliveryId !== f.eventId && h('p', { class: 'note' }, `Sent in one delivery with event ${f.deliveryId} and the others grouped with it: the attempts below are the delivery's.`),
    f.state === 'dead' && h('p', { class: 'fwd-why' }, `Dead: ${f.lastError ?? 'no reason recorded'}`),
    f.state === 'dead' && h('p', { class: 'note fwd-replay' }, replayHint(f.eventId, f.destination)),
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
export function forwardingSection(forwards: RelayForward[], offsetMs: number, circuits?: Circuits): HTMLElement | null {
  if (forwards.length === 0) return null;
  return h(
    'section',
    { class: 'block forwarding-block', 'aria-labelledby': 'forwarding-title' },
    h('h3', { id: 'forwarding-title' }, 'Forwarding'),
    ...forwards.map((f, i) => destinationBlock(f, offsetMs, i, circuits)),
  );
}
