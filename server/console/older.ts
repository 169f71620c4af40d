// Older deliveries: pages of GET /inbox/messages walking back (order=desc) from the oldest accepted event
// the console holds, through the typed client, with the server applying the filters. The walk's edge is
// an inbox id: every accepted event matching the filters from there up is held, so the next page (the
// events stored before it) joins on without a gap or an overlap. Refusals are not in the inbox: the live
// feed's backlog is all there is of them.
import type { InboxFeedItem, PushClient } from 'instagram-push-kit';
import { serverFilters, type Filters } from './filters.js';
import { compareIds, nextId } from './store.js';

/** Events per older page. */
export const OLDER_PAGE = 200;
/** Times a page refused with 503 (too many searches) is asked again. */
const SEARCH_RETRIES = 3;

export class OlderPages {
  /** The next page reads the events stored before this id; null: from the newest. */
  private before: string | null = null;
  /** Every accepted event from this id up came through the live feed (unfiltered). */
  private feedFloor: string | null = null;
  /** The feed's backlog held the whole inbox: there is nothing older to read. */
  private feedHoldsAll = false;
  /** Bumped whenever the walk starts over, so a page answering late is thrown away. */
  private generation = 0;
  reachedOldest = false;
  loading = false;

  constructor(
    private readonly client: PushClient,
    private readonly token: () => string | null,
    private readonly pageSize = OLDER_PAGE,
  ) {}

  /** Forgets the walk: the console starts again from the newest. */
  reset(): void {
    this.generation++;
    this.before = this.feedFloor = null;
    this.reachedOldest = this.loading = this.feedHoldsAll = false;
  }

  /**
   * The live feed's backlog ended, holding these accepted ids: every accepted event from the oldest of
   * them up came (or comes) through the feed. `holdsAll`: the backlog was shorter than asked for, so it
   * held the whole inbox. `gap`: they do not join what was held before (a reconnect after more than a
   * backlog's worth of events), so the walk starts again below them.
   */
  fedFrom(ids: string[], { holdsAll, gap }: { holdsAll: boolean; gap: boolean }): void {
    if (this.feedFloor !== null && !gap) return;
    this.generation++;
    this.feedFloor = this.before = ids.length ? ids.reduce((a, b) => (compareIds(a, b) <= 0 ? a : b)) : null;
    this.feedHoldsAll = this.reachedOldest = holdsAll;
    this.loading = false;
  }

  /** The filters changed: the pages read with the old ones are gone, and the walk starts again below the feed's part. */
  restart(): void {
    this.generation++;
    this.before = this.feedFloor;
    this.reachedOldest = this.feedHoldsAll;
    this.loading = false;
  }

  /** The cap pushed out the oldest entries, these accepted ones among them: the walk resumes above them. */
  dropped(ids: string[]): void {
    if (ids.length === 0) return;
    const above = nextId(ids.reduce((a, b) => (compareIds(a, b) >= 0 ? a : b)));
    const raise = (edge: string | null) => (edge === null || compareIds(edge, above) < 0 ? above : edge);
    this.before = raise(this.before);
    this.feedFloor = raise(this.feedFloor);
    this.reachedOldest = this.feedHoldsAll = false;
  }

  /**
   * Reads the next older page. Resolves to its items, newest first, or to null when the walk started
   * over meanwhile; rejects with an Error saying what went wrong.
   */
  async next(filters: Filters): Promise<InboxFeedItem[] | null> {
    const generation = ++this.generation;
    this.loading = true;
    try {
      const token = this.token();
      const ask = () =>
        this.client.raw.GET('/inbox/messages', {
          params: { query: { order: 'desc', limit: this.pageSize, ...(this.before !== null && { cursor: this.before }), ...serverFilters(filters) } },
          headers: token ? { authorization: `Bearer ${token}` } : {},
        });
      let { data, response } = await ask();
      // The server runs few searches at once (503 with Retry-After): the previous search of a filter
      // being typed may still run there. Wait as asked, a few times, unless the walk started over.
      for (let waited = 0; response.status === 503 && waited < SEARCH_RETRIES; waited++) {
        if (generation !== this.generation) return null;
        await new Promise((r) => setTimeout(r, Math.min(5, Math.max(1, Number(response.headers.get('retry-after')) || 1)) * 1000));
        if (generation !== this.generation) return null;
        ({ data, response } = await ask());
      }
      if (generation !== this.generation) return null;
      if (response.status === 401) throw new Error('the server refused the inbox token');
      if (!response.ok || !data) throw new Error(`the server answered ${response.status}`);
      this.before = data.nextCursor;
      // Rows the server could not serve still count towards the page: a short page is the end, unless
      // the page's byte budget cut it (truncated).
      this.reachedOldest = !data.truncated && data.items.length + (data.skipped?.length ?? 0) < this.pageSize;
      return data.items.map((item) => ({ type: 'accepted', item }));
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }
}
