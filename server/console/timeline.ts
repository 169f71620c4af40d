// The timeline list: one button per delivery, newest first, showing only what matches the filters.
// Live items are inserted in place (never a full re-render) so keyboard focus is not lost while
// deliveries stream in.
import { newerFirst } from './describe.js';
import { h } from './dom.js';
import { matches, type Filters } from './filters.js';
import { isoTime, localTime, statusLabel } from './format.js';
import type { Entry } from './store.js';

function render(e: Entry): HTMLLIElement {
  const parties = e.sender || e.recipient ? `${e.sender ?? '?'} → ${e.recipient ?? '?'}` : null;
  const time = e.eventTime ?? e.at;
  const refusal = e.item.type === 'refused' ? e.item.refusal : null;
  return h(
    'li',
    {},
    h(
      'button',
      { type: 'button', class: `entry ${e.status}`, 'data-key': e.key },
      h(
        'span',
        { class: 'line' },
        h('span', { class: `badge ${e.status === 'accepted' ? 'ok' : 'bad'}` }, statusLabel(e.status, e.httpStatus)),
        h('span', { class: 'chip' }, e.kind),
        e.direction && h('span', { class: `dir ${e.direction}` }, e.direction),
        h('span', { class: 'channel' }, e.channel ?? refusal?.path ?? ''),
        // The event's own time when it has one (what the sender meant); else when it reached the server.
        h('time', { datetime: isoTime(time) }, e.eventTime === null ? `received ${localTime(time)}` : localTime(time)),
      ),
      parties && h('span', { class: 'parties' }, parties),
      e.summary && h('span', { class: 'summary' }, e.summary),
      e.attachments.length > 0 && h('span', { class: 'line' }, ...e.attachments.map((a) => h('span', { class: 'chip att' }, a.type))),
      e.reason && h('span', { class: 'reason' }, e.reason, e.failingPaths.length ? ` (${e.failingPaths.join(', ')})` : ''),
      // Filled by the relay view (relay-view.ts) on a server that forwards; empty, it takes no room.
      e.item.type === 'accepted' && h('span', { class: 'line forwarding' }),
    ),
  );
}

export class Timeline {
  private displayed: Entry[] = [];
  private readonly elements = new Map<string, HTMLLIElement>();
  private selected: string | null = null;

  constructor(
    private readonly list: HTMLElement,
    onSelect: (key: string) => void,
    /** Called with each element the timeline creates (the relay's forwarding fills its slot). */
    private readonly decorate: (e: Entry, li: HTMLLIElement) => void = () => {},
  ) {
    list.addEventListener('click', (event) => {
      const button = (event.target as Element).closest<HTMLButtonElement>('button.entry');
      if (button?.dataset.key) onSelect(button.dataset.key);
    });
    // Arrow keys walk the list, like any list box; Enter and Space already click the focused button.
    list.addEventListener('keydown', (event) => {
      const buttons = [...list.querySelectorAll<HTMLButtonElement>('button.entry')];
      const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
      if (at < 0) return;
      const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: buttons.length - 1 }[event.key];
      if (to === undefined) return;
      event.preventDefault();
      buttons[Math.max(0, Math.min(buttons.length - 1, to))]?.focus();
    });
  }

  get shown(): number {
    return this.displayed.length;
  }

  private element(e: Entry): HTMLLIElement {
    let li = this.elements.get(e.key);
    if (!li) {
      li = render(e);
      this.decorate(e, li);
      this.elements.set(e.key, li);
      if (e.key === this.selected) li.firstElementChild?.setAttribute('aria-current', 'true');
    }
    return li;
  }

  /** Shows exactly the matching entries (after a filter change). */
  reset(entries: Entry[], filters: Filters): void {
    this.displayed = entries.filter((e) => matches(e, filters));
    this.list.replaceChildren(...this.displayed.map((e) => this.element(e)));
  }

  insert(e: Entry, filters: Filters): void {
    if (!matches(e, filters)) return;
    let i = 0;
    while (i < this.displayed.length && newerFirst(e, this.displayed[i]!) > 0) i++;
    const before = this.displayed[i];
    this.list.insertBefore(this.element(e), before ? this.element(before) : null);
    this.displayed.splice(i, 0, e);
  }

  remove(e: Entry): void {
    this.elements.get(e.key)?.remove();
    this.elements.delete(e.key);
    this.displayed = this.displayed.filter((d) => d !== e);
  }

  /** Focuses the last entry shown (the oldest). */
  focusLast(): void {
    this.list.querySelector<HTMLButtonElement>('li:last-child > button.entry')?.focus();
  }

  select(key: string | null): void {
    if (this.selected) this.elements.get(this.selected)?.firstElementChild?.removeAttribute('aria-current');
    this.selected = key;
    if (key) this.elements.get(key)?.firstElementChild?.setAttribute('aria-current', 'true');
  }
}
