// The inbox console's wiring: token, filters in the URL, the live feed, older pages, the timeline and the
// detail pane. Each part lives in its own module; this one only connects them.
//
// What the page holds is bounded (TIMELINE_CAP entries). Live items push out the oldest; older pages push
// out the newest, and then the view has left the live edge: new deliveries are counted, not shown, until
// "Back to newest" starts again from the feed's backlog.
import { createPushClient, type InboxFeedItem } from 'instagram-push-kit';
import { PUSH_PATH } from '../push/push-path.js';
import { KINDS } from './describe.js';
import { Detail } from './detail.js';
import { byId, h } from './dom.js';
import { createFeed, type FeedState } from './feed.js';
import { readFilters, sameServerFilters, serverFilters, writeFilters, type Filters } from './filters.js';
import { OlderPages } from './older.js';
import { startRates } from './rates.js';
import { RelayView } from './relay-view.js';
import { inboxId, Store, type Entry } from './store.js';
import { Timeline } from './timeline.js';
import { currentToken, forgetToken, saveToken, tokenFromFragment } from './token.js';

/** How long the feed may take to answer with its headers; the stream itself then runs unlimited. */
const CONNECT_TIMEOUT_MS = 10_000;
const TIMELINE_CAP = 1000;
/** Past accepted events (and refusals) the live feed replays on each connection. */
const BACKLOG = 200;
/** After the filters change, fewer entries shown than this reads an older page at once. */
const AUTO_LOAD_BELOW = 20;

tokenFromFragment();
startRates(byId('rates'), currentToken);

const controls = {
  form: byId<HTMLFormElement>('filters'),
  channel: byId<HTMLSelectElement>('f-channel'),
  kind: byId<HTMLSelectElement>('f-kind'),
  direction: byId<HTMLSelectElement>('f-direction'),
  status: byId<HTMLSelectElement>('f-status'),
  q: byId<HTMLInputElement>('f-q'),
};
const statusEl = byId('status');
const tokenForm = byId<HTMLFormElement>('token-form');
const tokenInput = byId<HTMLInputElement>('token');
const tokenHelp = byId('token-help');
const count = byId('count');
const empty = byId('empty');
const olderButton = byId<HTMLButtonElement>('older');
const olderStatus = byId('older-status');
const newerBar = byId('newer');
const newerText = byId('newer-text');

const client = createPushClient({ baseUrl: location.origin, retries: 0, timeoutMs: CONNECT_TIMEOUT_MS });
const store = new Store(TIMELINE_CAP);
const older = new OlderPages(client, currentToken);
const detail = new Detail(byId('detail'), byId('notice'));
let filters: Filters = readFilters(location.search);
const relay = new RelayView({ client, token: currentToken, list: byId('timeline'), panel: byId('relay'), destinations: byId('relay-destinations'), problem: byId('relay-problem') });
const timeline = new Timeline(byId('timeline'), select, (e, li) => relay.decorate(e, li));
/** The newest entries were pushed out by older pages: the view no longer reaches the live edge. */
let detached = false;
/** Live items that arrived while detached. */
let unseenLive = 0;
/** Whether the next end of a backlog is the first since the console (re)started. */
let firstBacklog = true;

function select(key: string): void {
  timeline.select(key);
  const entry = store.get(key);
  detail.render(entry);
  relay.detail(entry);
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
  fillSelect(controls.channel, 'All channels', [...store.values('channel')].sort(), filters.channel);
  const extraKinds = [...store.values('kind')].filter((k) => !(KINDS as readonly string[]).includes(k)).sort();
  fillSelect(controls.kind, 'All kinds', [...KINDS, 'handshake', ...extraKinds], filters.kind);
  controls.direction.value = filters.direction;
  controls.status.value = filters.status;
  if (controls.q.value !== filters.q) controls.q.value = filters.q;
}

/** Older pages exist for accepted events only: refusals live in the server's memory, and the feed sent them all. */
const olderApplies = () => filters.status !== 'refused';

function updateCount(): void {
  const total = store.entries.length;
  count.textContent = total ? `(${timeline.shown} shown of ${total} loaded)` : '';
  empty.hidden = timeline.shown > 0;
  empty.textContent = total || Object.keys(serverFilters(filters)).length
    ? 'No delivery matches the filters.'
    : `No deliveries yet. Push one to ${PUSH_PATH} and it appears here at once.`;
  newerBar.hidden = !detached;
  newerText.textContent = `Showing older deliveries.${unseenLive ? ` ${unseenLive} newer arrived meanwhile.` : ''}`;
  olderButton.hidden = !olderApplies() || older.reachedOldest;
  // aria-disabled, not disabled: a disabled button loses keyboard focus, which would then start over.
  olderButton.setAttribute('aria-disabled', String(older.loading));
  if (!olderApplies()) olderStatus.textContent = 'The server keeps refusals in memory (the last 500): all it has are shown.';
  else if (older.reachedOldest) olderStatus.textContent = timeline.shown ? 'The oldest stored delivery is shown: nothing older matches.' : '';
}

function show(added: Entry[], dropped: Entry[]): void {
  for (const e of dropped) timeline.remove(e);
  for (const e of added) timeline.insert(e, filters);
  fillControls();
  updateCount();
}

async function loadOlder(): Promise<void> {
  if (older.loading || older.reachedOldest || !olderApplies()) return;
  olderStatus.textContent = 'Loading older deliveries…';
  const page = older.next(filters);
  updateCount();
  try {
    const items = await page;
    if (items === null) return;
    const hadFocus = document.activeElement === olderButton;
    const { added, dropped } = store.add(items, 'history', 'older');
    // Older pages push out the newest: the view has left the live edge.
    if (dropped.length) detached = true;
    olderStatus.textContent = `${added.length} older ${added.length === 1 ? 'delivery' : 'deliveries'} loaded.`;
    show(added, dropped);
    // The button goes once the oldest is reached: keep the keyboard where the reading stopped.
    if (hadFocus && olderButton.hidden) timeline.focusLast();
  } catch (err) {
    olderStatus.textContent = `Could not load older deliveries: ${(err as Error).message}.`;
    updateCount();
  }
}

/** Starts again from the newest: the feed's backlog, then live. */
function backToNewest(): void {
  for (const e of store.clear()) timeline.remove(e);
  olderStatus.textContent = '';
  older.reset();
  detached = false;
  unseenLive = 0;
  firstBacklog = true;
  updateCount();
  feed.start();
}

function applyFilters(): void {
  const before = filters;
  filters = {
    channel: controls.channel.value,
    kind: controls.kind.value,
    direction: controls.direction.value === 'inbound' || controls.direction.value === 'echo' ? controls.direction.value : '',
    status: controls.status.value === 'accepted' || controls.status.value === 'refused' ? controls.status.value : '',
    q: controls.q.value.trim(),
  };
  // Only the filters go in the query string; the fragment (never the token, which is gone by now) is kept.
  history.replaceState(history.state, '', `${location.pathname}${writeFilters(filters)}${location.hash}`);
  if (!sameServerFilters(before, filters)) {
    // Pages read with the old filters hold only what matched them: read again with the new ones.
    if (detached) return backToNewest();
    for (const e of store.remove((x) => x.source === 'history')) timeline.remove(e);
    older.restart();
    olderStatus.textContent = '';
  }
  timeline.reset(store.entries, filters);
  updateCount();
  autoLoad();
}

/** A filter the server applies, showing little of what is held: ask the server for older matches at once. */
function autoLoad(): void {
  if (Object.keys(serverFilters(filters)).length && timeline.shown < AUTO_LOAD_BELOW) void loadOlder();
}

let searchTimer: ReturnType<typeof setTimeout> | undefined;
controls.form.addEventListener('change', applyFilters);
controls.q.addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(applyFilters, 300);
});
controls.form.addEventListener('submit', (event) => {
  event.preventDefault();
  applyFilters();
});
controls.form.addEventListener('reset', () => setTimeout(applyFilters)); // after the form cleared its fields
olderButton.addEventListener('click', () => void loadOlder());
byId('to-newest').addEventListener('click', backToNewest);

function onItems(items: InboxFeedItem[]): void {
  if (detached) {
    unseenLive += items.length;
    updateCount();
    return;
  }
  const { added, dropped } = store.add(items, 'feed', 'newer');
  older.dropped(dropped.map(inboxId).filter((id): id is string => id !== null));
  show(added, dropped);
  if (added.length) relay.soon();
}

function onReady({ ids, overlapped, truncated }: { ids: string[]; overlapped: boolean; truncated: boolean }): void {
  if (detached) return;
  // After a reconnect, a backlog that does not join what is held leaves a gap before it: the accepted
  // entries held from before the gap go, and older pages fill it again.
  const gap = !firstBacklog && !overlapped && ids.length > 0;
  if (gap) {
    const backlog = new Set(ids);
    for (const e of store.remove((x) => x.item.type === 'accepted' && !backlog.has(x.item.item.id))) timeline.remove(e);
  }
  // A backlog the server's byte budget cut short does not hold everything, however few it holds.
  older.fedFrom(ids, { gap, holdsAll: ids.length < BACKLOG && !truncated });
  const first = firstBacklog;
  firstBacklog = false;
  updateCount();
  if (first) autoLoad();
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

const feed = createFeed({ client, token: currentToken, onItems, onState, onReady, backlog: BACKLOG });

tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = tokenInput.value.trim();
  if (!token) return;
  saveToken(token);
  tokenInput.value = '';
  tokenForm.hidden = true;
  feed.start();
  relay.soon();
});

fillControls();
timeline.reset(store.entries, filters);
updateCount();
detail.render(undefined);
feed.start();
relay.start();
