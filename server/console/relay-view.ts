// The relay in the console: connects the watch (relay.ts) to the page. Each accepted entry in the
// timeline gets a line with its forwarding per destination, the detail pane a section with the attempts,
// and the destination panel its live figures. Until the server shows it has a relay, nothing of this is
// visible; a server without one never shows any.
import type { PushClient, RelayDestination } from 'instagram-push-kit';
import { forwardingLine, forwardingSection, tickCountdowns, type Circuits } from './forwarding.js';
import { renderDestinations } from './relay-panel.js';
import { RelayWatch } from './relay.js';
import type { Entry } from './store.js';

export interface RelayViewOptions {
  client: PushClient;
  token: () => string | null;
  /** The timeline's list and the pane that scrolls it. */
  list: HTMLElement;
  panel: HTMLElement;
  destinations: HTMLElement;
  problem: HTMLElement;
}

/** Entries within this fraction of the window's height beyond the visible part of the list count as on screen. */
const MARGIN = 0.5;

/** The inbox ids of the accepted entries on screen (and a little beyond), top first. */
function onScreen(list: HTMLElement): string[] {
  const pane = (list.closest('.pane') ?? list).getBoundingClientRect();
  const reach = window.innerHeight * MARGIN;
  const top = Math.max(0, pane.top) - reach;
  const bottom = Math.min(window.innerHeight, pane.bottom) + reach;
  const ids: string[] = [];
  for (const button of list.querySelectorAll<HTMLElement>('button.entry[data-key^="a"]')) {
    const r = button.getBoundingClientRect();
    if (r.bottom < top) continue;
    if (r.top > bottom) break;
    ids.push(button.dataset.key!.slice(1));
  }
  return ids;
}

export class RelayView {
  private readonly watch: RelayWatch;
  /** The inbox id of the entry in the detail pane. */
  private selected: string | null = null;
  /** Each destination's circuit and next attempt, as last read: the forwards' lines word their wait by it. */
  private circuits: Circuits = new Map();

  constructor(private readonly options: RelayViewOptions) {
    this.watch = new RelayWatch({
      client: options.client,
      token: options.token,
      wanted: () => (this.selected === null ? onScreen(options.list) : [this.selected, ...onScreen(options.list)]),
      onDestinations: (items, errors) => {
        options.panel.hidden = items === null || items.length === 0;
        if (items) {
          renderDestinations(options.destinations, items, errors, Date.now() + this.watch.offsetMs, this.watch.offsetMs);
          this.setCircuits(items);
        }
        // No relay (any more: a restart without destinations): nothing of it stays on the page.
        else for (const el of document.querySelectorAll('.forwarding, #forwarding')) el.replaceChildren();
      },
      onForwards: (ids) => this.update(ids),
      onProblem: (message) => {
        options.problem.textContent = message === null ? '' : `Could not read the relay: ${message}. Trying again.`;
      },
    });
  }

  start(): void {
    this.watch.start();
    // Scrolling brings other entries on screen: read theirs soon.
    const pane = this.options.list.closest('.pane');
    for (const target of [window, ...(pane ? [pane] : [])]) target.addEventListener('scroll', () => this.watch.soon(), { passive: true });
    setInterval(() => {
      if (document.visibilityState === 'visible' && this.watch.enabled) tickCountdowns(document);
    }, 1000);
  }

  /** Keeps the destinations' circuits; when one changed, every forwarding line shown is worded again. */
  private setCircuits(items: RelayDestination[]): void {
    const next: Circuits = new Map(items.map((d) => [d.id, { circuit: d.circuit, nextAttemptAt: d.nextAttemptAt, paused: d.paused }]));
    const same = next.size === this.circuits.size && [...next].every(([id, c]) => JSON.stringify(c) === JSON.stringify(this.circuits.get(id)));
    this.circuits = next;
    if (!same) this.update([...this.watch.forwards.keys()]);
  }

  /** Reads soon: new entries arrived, or a token was given. */
  soon(): void {
    this.watch.soon();
  }

  /** Fills an entry's forwarding line when the timeline (re)creates its element. */
  decorate(e: Entry, li: HTMLElement): void {
    if (e.item.type !== 'accepted') return;
    const slot = li.querySelector<HTMLElement>('.forwarding');
    const forwards = this.watch.forwards.get(e.item.item.id);
    if (slot && forwards) slot.replaceChildren(...forwardingLine(forwards, this.watch.offsetMs, this.circuits));
  }

  /** The detail pane now shows `e`: fill its forwarding section, and keep it read while shown. */
  detail(e: Entry | undefined): void {
    this.selected = e?.item.type === 'accepted' ? e.item.item.id : null;
    this.fillDetail();
    if (this.selected !== null && !this.watch.forwards.has(this.selected)) this.watch.soon();
  }

  private fillDetail(): void {
    const slot = document.getElementById('forwarding');
    if (!slot || this.selected === null) return;
    const forwards = this.watch.forwards.get(this.selected);
    const section = forwards ? forwardingSection(forwards, this.watch.offsetMs, this.circuits) : null;
    slot.replaceChildren(...(section ? [section] : []));
  }

  private update(ids: string[]): void {
    for (const id of ids) {
      const slot = this.options.list.querySelector<HTMLElement>(`button.entry[data-key="a${id}"] .forwarding`);
      const forwards = this.watch.forwards.get(id) ?? [];
      slot?.replaceChildren(...forwardingLine(forwards, this.watch.offsetMs, this.circuits));
    }
    if (this.selected !== null && ids.includes(this.selected)) this.fillDetail();
  }
}
