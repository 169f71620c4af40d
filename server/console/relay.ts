// Reads the relay's state for the console, through the typed client with the inbox token: the
// destinations (GET /relay/destinations) and the forwards of the events on screen (GET /relay/forwards
// with `eventId`), every few seconds while the page is visible. A server without a relay answers 404:
// then the watch stops for good and the console shows nothing of the relay.
//
// What it keeps is bounded: the forwards of at most KEPT_EVENTS events (the oldest read goes first) and
// one last error per destination.
import type { PushClient, RelayDestination, RelayForward } from 'instagram-push-kit';

export const RELAY_POLL_MS = 5_000;
/** The spec's bound on `eventId` values in one request. */
export const MAX_EVENT_IDS = 100;
/** The spec's bound on `limit`: forwards, one per event and destination. */
const MAX_FORWARDS = 1000;
const KEPT_EVENTS = 1000;
/** Destinations whose last error is looked up (a server with more shows the rest without one). */
const ERROR_LOOKUPS = 20;
/** The soonest a poll follows the previous one when asked for early (new events, scrolling). */
const SOONEST_MS = 750;

export interface RelayWatchOptions {
  client: PushClient;
  token: () => string | null;
  /** The inbox ids whose forwarding the page shows now, most wanted first. */
  wanted: () => string[];
  /** The destinations and their last errors; null once the server turned out to have no relay. */
  onDestinations: (items: RelayDestination[] | null, lastErrors: Map<string, string>) => void;
  /** The events whose forwards changed (or were read for the first time). */
  onForwards: (eventIds: string[]) => void;
  /** Why the last poll failed, or null once one worked again. */
  onProblem: (message: string | null) => void;
  intervalMs?: number;
}

const auth = (token: string | null): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

export class RelayWatch {
  /** Event id → its forwards (empty: forwarded nowhere). */
  readonly forwards = new Map<string, RelayForward[]>();
  /** The server's clock minus this browser's (ms), from the answers' Date header; 0 when within 2 s. */
  offsetMs = 0;
  private off = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private dueAt = 0;
  private lastPoll = 0;
  private polling = false;
  /** The token (null: none) the server refused last; undefined while none was. */
  private refused: string | null | undefined;
  /** Per destination: the dead count its cached last error was read at (a dead forward's error stays). */
  private readonly deadErrors = new Map<string, { dead: number; error: string | null }>();

  constructor(private readonly options: RelayWatchOptions) {}

  start(): void {
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.schedule(0);
    });
    this.schedule(0);
  }

  /** Polls within a second or so (new events arrived, the list scrolled, an event was selected). */
  soon(): void {
    this.schedule(Math.max(0, this.lastPoll + SOONEST_MS - Date.now()));
  }

  get enabled(): boolean {
    return !this.off;
  }

  private schedule(inMs: number): void {
    if (this.off) return;
    const at = Date.now() + inMs;
    if (this.timer !== undefined && this.dueAt <= at) return;
    clearTimeout(this.timer);
    this.dueAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll();
    }, inMs);
  }

  private async poll(): Promise<void> {
    // Hidden, nothing is asked: the next visibilitychange polls at once.
    if (this.polling || document.visibilityState !== 'visible') return;
    this.polling = true;
    this.lastPoll = Date.now();
    try {
      await this.read();
      this.options.onProblem(null);
    } catch (err) {
      this.options.onProblem((err as Error).message);
    } finally {
      this.polling = false;
      this.schedule(this.options.intervalMs ?? RELAY_POLL_MS);
    }
  }

  private async read(): Promise<void> {
    const token = this.options.token();
    // A refused token is not sent again: the feed asks the person for another, and the next poll uses it.
    if (token === this.refused) return;
    const headers = auth(token);
    const { data, response } = await this.options.client.raw.GET('/relay/destinations', { headers });
    if (response.status === 404) {
      this.off = true;
      this.forwards.clear();
      this.options.onDestinations(null, new Map());
      return;
    }
    if (response.status === 401) {
      this.refused = token;
      return;
    }
    if (!response.ok || !data) throw new Error(`the relay answered ${response.status}`);
    this.clock(response);
    const items = data.items;
    this.options.onDestinations(items, await this.lastErrors(items, headers));
    await this.readForwards(items.length, headers);
  }

  private clock(response: Response): void {
    const date = Date.parse(response.headers.get('date') ?? '');
    if (Number.isNaN(date)) return;
    // The header has whole seconds: a difference under 2 s is rounding, not a wrong clock.
    const offset = date + 500 - Date.now();
    this.offsetMs = Math.abs(offset) < 2000 ? 0 : offset;
  }

  /**
   * Each troubled destination's newest error: its newest retrying forward's, else its newest dead one's.
   * Asked only for a destination the server has no last error of (it keeps one since it started).
   */
  private async lastErrors(items: RelayDestination[], headers: Record<string, string>): Promise<Map<string, string>> {
    const errors = new Map<string, string>();
    for (const id of [...this.deadErrors.keys()]) if (!items.some((d) => d.id === id)) this.deadErrors.delete(id);
    const newest = async (destination: string, state: 'retrying' | 'dead') => {
      const { data } = await this.options.client.raw.GET('/relay/forwards', { params: { query: { destination, state, limit: 1 } }, headers });
      return data?.items[0]?.lastError ?? null;
    };
    for (const d of items.filter((x) => x.lastError === null).slice(0, ERROR_LOOKUPS)) {
      let error: string | null = null;
      if (d.counts.retrying > 0) error = await newest(d.id, 'retrying');
      if (error === null && d.counts.dead > 0) {
        const cached = this.deadErrors.get(d.id);
        if (cached?.dead !== d.counts.dead) this.deadErrors.set(d.id, { dead: d.counts.dead, error: await newest(d.id, 'dead') });
        error = this.deadErrors.get(d.id)!.error;
      }
      if (error !== null) errors.set(d.id, error);
    }
    return errors;
  }

  private async readForwards(destinations: number, headers: Record<string, string>): Promise<void> {
    // One request: as many events as `limit` can hold with every destination forwarding each.
    const room = Math.max(1, Math.min(MAX_EVENT_IDS, Math.floor(MAX_FORWARDS / Math.max(1, destinations))));
    const ids = [...new Set(this.options.wanted())].filter((id) => /^[0-9]{1,15}$/.test(id)).slice(0, room);
    if (ids.length === 0) return;
    const { data, response } = await this.options.client.raw.GET('/relay/forwards', { params: { query: { eventId: ids, limit: MAX_FORWARDS } }, headers });
    if (!response.ok || !data) throw new Error(`the relay's forwards answered ${response.status}`);
    const read = new Map<string, RelayForward[]>(ids.map((id) => [id, []]));
    for (const f of data.items) read.get(f.eventId)?.push(f);
    const changed: string[] = [];
    for (const [id, forwards] of read) {
      const before = this.forwards.get(id);
      if (before === undefined || JSON.stringify(before) !== JSON.stringify(forwards)) changed.push(id);
      // Re-inserted, so the map's first key is the one read longest ago.
      this.forwards.delete(id);
      this.forwards.set(id, forwards);
    }
    while (this.forwards.size > KEPT_EVENTS) this.forwards.delete(this.forwards.keys().next().value as string);
    if (changed.length) this.options.onForwards(changed);
  }
}
