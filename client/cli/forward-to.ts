// `ig-push serve --forward-to <url>`, Stripe CLI's `listen --forward-to` habit: the configuration the
// server would read from a file (one channel, one relay destination at that URL), written for the run to
// a private temporary file whose secrets are references to variables passed to serve(), never the secrets.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What `--forward-to` needs to know. */
export interface ForwardSettings {
  /** The local receiver's URL: every event stored is forwarded there. */
  url: string;
  /** The channel deliveries arrive on (`…/message/<channel>`). */
  channel: string;
  /** The secret the forwarded requests are signed with (X-Hub-Signature-256); made up when not given. */
  forwardSecret?: string;
  /** Meta's app secret, when deliveries arriving must be signed with it; unsigned ones are taken otherwise. */
  metaSecret?: string;
  /** The Instagram account ID, so deliveries to the path without a channel find this one by entry[].id. */
  accountId?: string;
}

/** The variables the configuration's secrets refer to. */
const FORWARD_SECRET_VAR = 'IG_PUSH_FORWARD_SECRET';
const META_SECRET_VAR = 'IG_PUSH_META_SECRET';

/** A fresh secret, as `openssl rand -hex 32` makes one. */
export const newSecret = () => randomBytes(32).toString('hex');

/** The server configuration for a run with `--forward-to`, and the variables its secret references need. */
export function forwardConfig(settings: ForwardSettings & { forwardSecret: string }): { config: object; env: Record<string, string> } {
  const env: Record<string, string> = { [FORWARD_SECRET_VAR]: settings.forwardSecret };
  if (settings.metaSecret) env[META_SECRET_VAR] = settings.metaSecret;
  const channel = {
    id: settings.channel,
    ...(settings.accountId ? { accountId: settings.accountId } : {}),
    ...(settings.metaSecret ? { appSecret: { env: META_SECRET_VAR } } : {}),
    // One event per request, as Meta mostly sends them: what a developer watches arrive is one event.
    destinations: [{ id: 'forward-to', url: settings.url, appSecret: { env: FORWARD_SECRET_VAR }, batch: { maxEvents: 1 } }],
  };
  return { config: { channels: [channel] }, env };
}

/** Writes the configuration to a private temporary file; `remove` deletes it once the server has read it. */
export function writeTemporaryConfig(config: object): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ig-push-forward-'));
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify(config), { mode: 0o600 });
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
