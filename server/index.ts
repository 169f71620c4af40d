// Public entry of `instagram-push-kit/server`.
export { createApp, DEFAULT_BODY_LIMIT, DEFAULT_MAX_DEPTH, type AppOptions, type ReferenceApp } from './app.js';
export type { Channel } from './push/channels.js';
export type { Inbox, NewEvent, AppendResult, ListQuery } from './inbox/inbox.js';
export { SqliteInbox, type SqliteInboxOptions } from './inbox/sqlite-inbox.js';
export { PostgresInbox, type PostgresInboxOptions } from './inbox/postgres-inbox.js';
export { lockDataDir, DataDirLockedError, type DataDirLock, type LockHolder } from './inbox/data-dir-lock.js';
export { backupSqliteStore, BackupError, type BackupResult } from './inbox/sqlite-backup.js';
export { StoreUnavailableError, InvalidCursorError } from './inbox/inbox.js';
export { RefusalLog, type Refusal } from './read/refusal-log.js';
export { createLogger } from './run/logger.js';
export { serve, type ServeOptions, type RunningServer } from './serve.js';
export { createServerMetrics, type ServerMetrics, type ServerMetricsOptions } from './metrics/server-metrics.js';
export { startMetricsListener, type MetricsListener } from './metrics/listener.js';
