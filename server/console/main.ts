// The inbox console's wiring: token, filters in the URL, the live feed, the timeline and the detail pane.
// Each part lives in its own module; this one only connects them.
import { createPushClient, type InboxFeedItem } from 'instagram-push-kit';
import { KINDS } from './describe.js';
import { Detail } from './detail.js';
import { byId, h } from './dom.js';
import { createFeed, type FeedState } from './feed.js';
import { readFilters, writeFilters, type Filters } from './filters.js';
import { Store } from './store.js';
import { Timeline } from './timeline.js';
import { currentToken, forgetToken, saveToken, tokenFromFragment } from './token.js';

/** How long the feed may take to answer with its headers; the stream itself then runs unlimited. */
const CONNECT_TIMEOUT_MS = 10_000;
const TIMELINE_CAP = 1000;

tokenFromFragment();

const controls = {
  form: byId<HTMLFormElement>('filters'),
  channel: byId<HTMLSelectElement>('f-channel'),
  kind: byId<HTMLSelectElement>('f-kind'),
  status: byId<HTMLSelectElement>('f-status'),
  q: byId<HTMLInputElement>('f-q'),
};
const statusEl = byId('status');
const tokenForm = byId<HTMLFormElement>('token-form');
const tokenInput = byId<HTMLInputElement>('token');
const tokenHelp = byId('token-help');
const count = byId('count');
const empty = byId('empty');

const store = new Store(TIMELINE_CAP);
const detail = new Detail(byId('detail'), byId('notice'));
let filters: Filters = readFilters(location.search);
const timeline = new Timeline(byId('timeline'), select);

function select(key: string): void {
  timeline.select(key);
  detail.render(store.get(key));
  // On a phone the detail pane sits below the timeline: bring it into view, but leave focus in the list.
  if (matchMedia('(max-width: 56rem)').matches) byId('detail-pane').scrollIntoView({ block: 'start' });
}

/** Rebuilds a select's options when new values were seen, keeping the current choice (even unseen). */
function fillSelect(select: HTMLSelectElement, allLabel: string, values: Iterable<string>, current: string): void {
  const all = [...new Set([...values, ...(current ? [current] : [])])];
  const have = [...select.options].slice(1).map((o) => o.value);
  if (have.length !== all.length || have.some((v, i) => v !== all[i])) {
    select.replaceChildren(h('option', { value: '' }, allLabel), ...all.map((v) => h('option', { value: v }, v)));
  }
  select.value = current;
}

function fillControls(): void {
  fillSelect(controls.channel, 'All channels', [...store.channels].sort(), filters.channel);
  const extraKinds = [...store.kinds].filter((k) => !(KINDS as readonly string[]).includes(k)).sort();
  fillSelect(controls.kind, 'All kinds', [...KINDS, ...extraKinds], filters.kind);
  controls.status.value = filters.status;
  if (controls.q.value !== filters.q) controls.q.value = filters.q;
}

function updateCount(): void {
  const total = store.entries.length;
  count.textContent = total ? `(${timeline.shown} shown of ${total})` : '';
  empty.hidden = timeline.shown > 0;
  empty.textContent = total
    ? 'No delivery matches the filters.'
    : 'No deliveries yet. Push one to /apiaccess/api/instagram/message and it appears here at once.';
}

function applyFilters(): void {
  filters = {
    channel: controls.channel.value,
    kind: controls.kind.value,
    status: controls.status.value === 'accepted' || controls.status.value === 'refused' ? controls.status.value : '',
    q: controls.q.value.trim(),
  };
  // Only the filters go in the query string; the fragment (never the token, which is gone by now) is kept.
  history.replaceState(history.state, '', `${location.pathname}${writeFilters(filters)}${location.hash}`);
  timeline.reset(store.entries, filters);
  updateCount();
}

let searchTimer: ReturnType<typeof setTimeout> | undefined;
controls.form.addEventListener('change', applyFilters);
controls.q.addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(applyFilters, 150);
});
controls.form.addEventListener('submit', (event) => {
  event.preventDefault();
  applyFilters();
});
controls.form.addEventListener('reset', () => setTimeout(applyFilters)); // after the form cleared its fields

function onItems(items: InboxFeedItem[]): void {
  const { added, dropped } = store.add(items);
  for (const e of dropped) timeline.remove(e);
  for (const e of added) timeline.insert(e, filters);
  fillControls();
  updateCount();
}

function onState(state: FeedState): void {
  statusEl.dataset.state = state.kind;
  tokenForm.hidden = state.kind !== 'unauthorized';
  switch (state.kind) {
    case 'connecting':
      statusEl.textContent = 'Connecting…';
      break;
    case 'live':
      statusEl.textContent = 'Live';
      break;
    case 'reconnecting':
      statusEl.textContent = `Reconnecting in ${Math.max(1, Math.round(state.inMs / 1000))} s (${state.reason})`;
      break;
    case 'unauthorized':
      statusEl.textContent = 'Not connected: the inbox token is needed';
      if (state.hadToken) {
        forgetToken();
        tokenHelp.textContent = 'The server refused that token. Enter the inbox token (its INBOX_TOKEN); it is kept in this tab only.';
      }
      tokenInput.focus();
      break;
  }
}

const client = createPushClient({ baseUrl: location.origin, retries: 0, timeoutMs: CONNECT_TIMEOUT_MS });
const feed = createFeed({ client, token: currentToken, onItems, onState });

tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = tokenInput.value.trim();
  if (!token) return;
  saveToken(token);
  tokenInput.value = '';
  tokenForm.hidden = true;
  feed.start();
});

fillControls();
timeline.reset(store.entries, filters);
updateCount();
detail.render(undefined);
feed.start();
