// Configuration drift between relay instances sharing one PostgreSQL store: what this instance's
// destinations differ in from those the other live instances registered, and how that reads in the log.
// Pure: the outbox reads the registrations and says when to log.
import { createHash } from 'node:crypto';

/** A destination as an instance registers it: its ID and a fingerprint of its URL (never the URL). */
export interface RegisteredDestination {
  id: string;
  /** urlFingerprint(url). */
  urlHash: string;
}

export interface Peer {
  instance: string;
  destinations: RegisteredDestination[];
}

/** Each difference names the other instances concerned. */
export interface Drift {
  /** Destinations other instances configure and this one does not. */
  lacking: { id: string; instances: string[] }[];
  /** Destinations this instance configures and some other does not. */
  extra: { id: string; instances: string[] }[];
  /** Destinations configured on both sides with different URLs. */
  urlDiffers: { id: string; instances: string[] }[];
}

/** A short digest of the URL: enough to tell two apart, nothing of a token in its path or query. */
export function urlFingerprint(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 16);
}

/** Null when every live peer configures the same destinations at the same URLs (or there is none). */
export function compareDestinations(mine: RegisteredDestination[], peers: Peer[]): Drift | null {
  const own = new Map(mine.map((d) => [d.id, d.urlHash]));
  const lacking = new Map<string, string[]>();
  const extra = new Map<string, string[]>();
  const urlDiffers = new Map<string, string[]>();
  const add = (into: Map<string, string[]>, id: string, instance: string) => into.set(id, [...(into.get(id) ?? []), instance]);
  for (const peer of peers) {
    const theirs = new Map(peer.destinations.map((d) => [d.id, d.urlHash]));
    for (const [id, url] of theirs) {
      if (!own.has(id)) add(lacking, id, peer.instance);
      else if (own.get(id) !== url) add(urlDiffers, id, peer.instance);
    }
    for (const id of own.keys()) if (!theirs.has(id)) add(extra, id, peer.instance);
  }
  const list = (m: Map<string, string[]>) => [...m].sort(([a], [b]) => a.localeCompare(b)).map(([id, instances]) => ({ id, instances: instances.sort() }));
  const drift = { lacking: list(lacking), extra: list(extra), urlDiffers: list(urlDiffers) };
  return drift.lacking.length + drift.extra.length + drift.urlDiffers.length === 0 ? null : drift;
}

/** One sentence per kind of difference, naming IDs and instances, never a URL. */
export function describeDrift(drift: Drift): string {
  const names = (items: { id: string; instances: string[] }[]) => items.map((i) => `${i.id} (${i.instances.join(', ')})`).join(', ');
  const parts: string[] = [];
  if (drift.lacking.length) parts.push(`this instance lacks destinations other instances forward: ${names(drift.lacking)}`);
  if (drift.extra.length) parts.push(`this instance has destinations other instances lack: ${names(drift.extra)}`);
  if (drift.urlDiffers.length) parts.push(`these destinations have another URL on other instances: ${names(drift.urlDiffers)}`);
  return `relay: CONFIGURATION DRIFT between instances sharing this database: ${parts.join('; ')}. Each instance forwards only the destinations it configures (the ones shared keep being forwarded); deploy one configuration to every instance.`;
}
