// What a store error means, in words: the operator reads "disk full (SQLITE_FULL)" or "authentication
// failed (28P01)" and what to do, not a bare code. Built from the error's code alone (better-sqlite3's
// SQLITE_*, node-postgres' SQLSTATE, Node's socket codes), never from its message, which can quote the
// values of the event being written.

const CODE = /^[A-Z0-9_]{1,64}$/;

/**
 * The machine-readable cause of a store error: better-sqlite3's `SQLITE_*` code, node-postgres' SQLSTATE,
 * Node's `E*` socket codes, looked for along the `cause` chain; `UNKNOWN` when none has one.
 */
export function storeErrorCode(err: unknown): string {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CODE.test(code)) return code;
  }
  return 'UNKNOWN';
}

export interface StoreErrorMeaning {
  code: string;
  /** What went wrong, in words: "disk full", "authentication failed". */
  reason: string;
  /** What the operator can do about it. */
  action: string;
  /**
   * Retrying will not help until someone changes something (a password, a database name, a host name):
   * at start the server exits instead of waiting, unless asked to wait.
   */
  permanent: boolean;
  /** The store ran out of space: a small write can succeed where a large one fails. */
  space: boolean;
}

type Meaning = Omit<StoreErrorMeaning, 'code'>;
const transient = (reason: string, action: string): Meaning => ({ reason, action, permanent: false, space: false });
const permanent = (reason: string, action: string): Meaning => ({ reason, action, permanent: true, space: false });
const noSpace = (reason: string): Meaning => ({ reason, action: 'free disk space or grow the volume', permanent: false, space: true });

/** Exact codes first; then prefixes (SQLite's extended codes, SQLSTATE classes). */
const EXACT: Record<string, Meaning> = {
  SQLITE_FULL: noSpace('disk full'),
  SQLITE_IOERR_WRITE: transient('disk write error', 'check the disk and its free space'),
  SQLITE_CANTOPEN: permanent('the database file cannot be opened', 'check that DATA_DIR exists and this user may write it'),
  SQLITE_BUSY: transient('the database file is locked by another process', 'run one server per data directory'),
  SQLITE_CORRUPT: permanent('the database file is corrupt', 'restore the last backup'),
  SQLITE_NOTADB: permanent('the file is not a SQLite database', 'point DATA_DIR at the server\'s own data directory'),
  '28P01': permanent('authentication failed: the password was refused', 'check the user and password in DATABASE_URL'),
  '28000': permanent('authentication rejected by the server (pg_hba.conf)', 'allow this host and user in pg_hba.conf, or use another user'),
  '3D000': permanent('the database does not exist', 'create it, or fix the database name in DATABASE_URL'),
  '42501': permanent('permission denied', 'grant the role rights on the database and its schema'),
  '53100': noSpace('disk full on the database server'),
  '53200': transient('the database server is out of memory', 'check the database server'),
  '53300': transient('too many connections to the database server', 'lower DATABASE_POOL_SIZE or raise max_connections'),
  '25006': transient('read-only: the database is a standby, or in read-only mode', 'point DATABASE_URL at the primary'),
  '57P01': transient('the database server is shutting down', 'wait for it to come back'),
  '57P03': transient('the database server is starting up', 'wait for it to come back'),
  ECONNREFUSED: transient('connection refused', 'check that the database server runs and listens on that host and port'),
  ENOTFOUND: permanent('the host name does not resolve', 'fix the host name in DATABASE_URL'),
  EAI_AGAIN: transient('the host name could not be resolved now (DNS)', 'check DNS'),
  ETIMEDOUT: transient('timed out', 'check the network path to the database server'),
  ECONNRESET: transient('connection reset', 'check the database server and the network'),
  EHOSTUNREACH: transient('host unreachable', 'check the network path to the database server'),
  ENOSPC: noSpace('disk full'),
  EACCES: permanent('permission denied', 'check that this user may write DATA_DIR'),
  EROFS: permanent('read-only file system', 'mount DATA_DIR read-write'),
};

const PREFIXES: [prefix: string, meaning: Meaning][] = [
  ['SQLITE_READONLY', permanent('read-only: the database file or its folder cannot be written', 'check the permissions of DATA_DIR and its files')],
  ['SQLITE_IOERR', transient('disk I/O error', 'check the disk')],
  ['SQLITE_CORRUPT', permanent('the database file is corrupt', 'restore the last backup')],
  ['SQLITE_BUSY', transient('the database file is locked by another process', 'run one server per data directory')],
  ['SQLITE_CONSTRAINT', transient('a constraint refused the write', 'check the database for triggers or constraints added by hand')],
  ['08', transient('the connection to the database failed', 'check the database server and the network')],
  ['28', permanent('authentication failed', 'check the user and password in DATABASE_URL')],
  ['53', transient('the database server is out of resources', 'check the database server')],
  ['57', transient('the database server stopped the operation', 'check the database server')],
];

/** The meaning of a store error's code, for logs, readiness and the start-up check. */
export function describeStoreError(err: unknown): StoreErrorMeaning {
  const code = storeErrorCode(err);
  const meaning = EXACT[code] ?? PREFIXES.find(([prefix]) => code.startsWith(prefix))?.[1] ?? transient('the store failed', 'see the code in the database\'s documentation');
  return { code, ...meaning };
}
