// The destination panel: each relay destination's state (active, paused, circuit open or half-open),
// where it sends (URL without credentials), its backlog (pending + retrying), how long its oldest waiting
// event has waited, its next attempt or probe (counting down), its last error and when, its forwards by
// state and how to replay its dead, as GET /relay/destinations (and, after a restart, GET /relay/forwards
// for the last error) tell it.
import type { RelayDestination } from 'instagram-push-kit';
import { h } from './dom.js';
import { countdown, cut, duration, HALF_OPEN } from './forwarding.js';

const PANEL_ERROR = 200;

export function destinationState(d: RelayDestination): { label: string; tone: 'ok' | 'bad' | 'wait' } {
  // Removed from the configuration with forwards still open: nothing is sent until it is back or discarded.
  if (!d.configured) return { label: 'not configured, held', tone: 'wait' };
  const circuit = d.circuit === 'closed' ? undefined : `circuit ${d.circuit}`;
  if (d.paused && circuit) return { label: `paused, ${circuit}`, tone: 'bad' };
  if (d.paused) return { label: 'paused', tone: 'wait' };
  if (circuit) return { label: circuit, tone: 'bad' };
  return { label: 'active', tone: 'ok' };
}

export const backlogOf = (d: RelayDestination) => d.counts.pending + d.counts.retrying;

/** The destination's last error with how long ago (the server's own, else one read from its forwards). */
export function lastErrorText(d: RelayDestination, looked: string | undefined, nowMs: number): string {
  if (d.lastError) return `${cut(d.lastError.message, PANEL_ERROR)} (${duration(nowMs - Date.parse(d.lastError.at))} ago)`;
  return looked === undefined ? 'none' : cut(looked, PANEL_ERROR);
}

/** When the relay tries the destination next: a countdown to the probe or the retry, else words. */
function nextAttempt(d: RelayDestination, offsetMs: number): HTMLElement | string {
  if (d.paused) return 'paused: none until resumed';
  if (d.circuit === 'half-open') return HALF_OPEN;
  if (d.nextAttemptAt === null) return d.circuit === 'open' ? 'circuit open' : 'as events are due';
  return countdown(d.circuit === 'open' ? 'probe' : 'retry', Date.parse(d.nextAttemptAt) - offsetMs, 'countdown');
}

/**
 * Renders the destinations into `list`. `lastErrors`: a destination's newest failure read from its
 * forwards (its newest retrying one, else its newest dead one), shown when the server has none of its
 * own; `nowMs` on the server's clock, `offsetMs` the server's clock minus this browser's.
 */
export function renderDestinations(list: HTMLElement, items: RelayDestination[], lastErrors: Map<string, string>, nowMs: number, offsetMs = 0): void {
  list.replaceChildren(
    ...items.map((d) => {
      const state = destinationState(d);
      const error = lastErrorText(d, lastErrors.get(d.id), nowMs);
      const oldest = d.oldestPendingAt === null ? 'none waiting' : duration(nowMs - Date.parse(d.oldestPendingAt));
      const { pending, retrying, delivered, dead } = d.counts;
      const facts: Array<[string, string, string | HTMLElement]> = [
        ['url', 'Sends to', d.url ?? "not in this server's configuration"],
        ['backlog', 'Backlog', String(backlogOf(d))],
        ['oldest', 'Oldest waiting', oldest],
        ['next', 'Next attempt', nextAttempt(d, offsetMs)],
        ['counts', 'By state', `${pending} pending · ${retrying} retrying · ${delivered} delivered · ${dead} dead`],
        ['error', 'Last error', error],
      ];
      if (dead > 0) facts.push(['replay', 'Replay the dead', `ig-push relay replay ${d.id}, or POST /relay/destinations/${d.id}/replay (admin token)`]);
      return h(
        'li',
        { class: 'dest', 'data-destination': d.id, 'data-state': state.label },
        h('div', { class: 'dest-head' }, h('h3', {}, d.id), h('span', { class: `badge ${state.tone}` }, state.label), h('span', { class: 'channel' }, `channel ${d.channel}`)),
        h('dl', { class: 'facts dest-facts' }, ...facts.flatMap(([key, k, v]) => [h('dt', {}, k), h('dd', { 'data-fact': key, title: key === 'error' ? (d.lastError?.message ?? lastErrors.get(d.id)) : undefined }, v)])),
      );
    }),
  );
}
