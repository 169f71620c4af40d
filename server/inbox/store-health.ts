// Whether a store's writes are failing right now, and the log of why. A store records the outcome of
// every write here; while the last one failed, readiness answers 503 (so a balancer routes around the
// instance) until a write succeeds again. Each distinct cause is logged once per failing spell, by its
// code only (SQLITE_FULL, a PostgreSQL SQLSTATE such as 54000, a socket error such as ECONNREFUSED):
// never the error's message or detail, which can quote the values of the event being written.
import type { Logger } from 'pino';

/** The part of the server's logger a store uses. */
export type StoreLogger = Pick<Logger, 'error' | 'info'>;

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

export interface StoreHealthOptions {
  /** Where each cause is logged, once per failing spell. */
  logger?: StoreLogger;
  /** While writes fail, readiness tries a write at most this often (default 1000 ms). */
  probeEveryMs?: number;
}

export class StoreHealth {
  /** The causes logged in the current failing spell; undefined while writes succeed. */
  private failing: Set<string> | undefined;
  private readonly logger: StoreLogger | undefined;
  private readonly probeEveryMs: number;
  /** The write readiness is trying, and how the last one ended: one at a time, at most every probeEveryMs. */
  private probing: Promise<boolean> | undefined;
  private lastProbe = { at: -Infinity, ok: false };

  constructor(
    private readonly store: 'sqlite' | 'postgresql',
    options: StoreHealthOptions = {},
  ) {
    this.logger = options.logger;
    this.probeEveryMs = options.probeEveryMs ?? 1000;
  }

  /**
   * The store's readiness once it is reachable: true while writes succeed; while they fail, the outcome
   * of a write tried here (`probe`), since an instance the balancer routes around gets no deliveries
   * whose success could make it ready again.
   */
  ready(probe: () => Promise<unknown>): Promise<boolean> {
    if (this.writable) return Promise.resolve(true);
    if (performance.now() - this.lastProbe.at < this.probeEveryMs) return Promise.resolve(this.lastProbe.ok);
    this.probing ??= this.track(probe()).then(
      () => this.probed(true),
      () => this.probed(false),
    );
    return this.probing;
  }

  private probed(ok: boolean): boolean {
    this.lastProbe = { at: performance.now(), ok };
    this.probing = undefined;
    return ok;
  }

  /** False from a failed write until the next write that succeeds. */
  get writable(): boolean {
    return this.failing === undefined;
  }

  /** The codes of the current failing spell, in the order they first occurred. */
  get causes(): string[] {
    return [...(this.failing ?? [])];
  }

  failed(err: unknown): void {
    const code = storeErrorCode(err);
    this.failing ??= new Set();
    if (this.failing.has(code)) return;
    this.failing.add(code);
    this.logger?.error({ store: this.store, code }, `the inbox store failed to write (${code}): pushes answer 500 and /readyz 503 until a write succeeds`);
  }

  succeeded(): void {
    if (!this.failing) return;
    const causes = this.causes;
    this.failing = undefined;
    this.logger?.info({ store: this.store, causes }, 'the inbox store writes again: /readyz answers 200');
  }

  /** Records the outcome of a write and passes it on unchanged. */
  track<T>(write: Promise<T>): Promise<T> {
    return write.then(
      (value) => {
        this.succeeded();
        return value;
      },
      (err: unknown) => {
        this.failed(err);
        throw err;
      },
    );
  }
}
