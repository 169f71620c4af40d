// The destination panel: each relay destination's state (active, paused, circuit open), its backlog
// (pending + retrying), how long its oldest waiting event has waited, its last error and its forwards by
// state, as GET /relay/destinations (and, for the last error, GET /relay/forwards) tell it.
import type { RelayDestination } from 'instagram-push-kit';
import { h } from './dom.js';
import { cut, duration } from './forwarding.js';

const PANEL_ERROR = 200;

export function destinationState(d: RelayDestination): { label: string; tone: 'ok' | 'bad' | 'wait' } {
  // Removed from the configuration with forwards still open: nothing is sent until it is back or discarded.
  if (!d.configured) return { label: 'not configured, held', tone: 'wait' };
  if (d.paused && d.circuit === 'open') return { label: 'paused, circuit open', tone: 'bad' };
  if (d.paused) return { label: 'paused', tone: 'wait' };
  if (d.circuit === 'open') return { label: 'circuit open', tone: 'bad' };
  return { label: 'active', tone: 'ok' };
}

export const backlogOf = (d: RelayDestination) => d.counts.pending + d.counts.retrying;

/**
 * Renders the destinations into `list`. `lastErrors`: a destination's newest failure, when it has one
 * (from its newest retrying forward, else its newest dead one); `nowMs` on the server's clock.
 */
export function renderDestinations(list: HTMLElement, items: RelayDestination[], lastErrors: Map<string, string>, nowMs: number): void {
  list.replaceChildren(
    ...items.map((d) => {
      const state = destinationState(d);
      const error = lastErrors.get(d.id);
      const oldest = d.oldestPendingAt === null ? 'none waiting' : duration(nowMs - Date.parse(d.oldestPendingAt));
      const { pending, retrying, delivered, dead } = d.counts;
      const facts: Array<[string, string, string]> = [
        ['backlog', 'Backlog', String(backlogOf(d))],
        ['oldest', 'Oldest waiting', oldest],
        ['counts', 'By state', `${pending} pending · ${retrying} retrying · ${delivered} delivered · ${dead} dead`],
        ['error', 'Last error', error === undefined ? 'none' : cut(error, PANEL_ERROR)],
      ];
      return h(
        'li',
        { class: 'dest', 'data-destination': d.id, 'data-state': state.label },
        h('div', { class: 'dest-head' }, h('h3', {}, d.id), h('span', { class: `badge ${state.tone}` }, state.label), h('span', { class: 'channel' }, `channel ${d.channel}`)),
        h('dl', { class: 'facts dest-facts' }, ...facts.flatMap(([key, k, v]) => [h('dt', {}, k), h('dd', { 'data-fact': key, title: key === 'error' ? error : undefined }, v)])),
      );
    }),
  );
}
