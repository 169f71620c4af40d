// Whether a store's writes are failing right now, since when, and the log of why. A store records the
// outcome of every write here; while writes fail, readiness answers 503 (so a balancer routes around
// the instance) until a write that proves the failure over succeeds. Each distinct cause is logged once
// per failing spell, in words with its code (store-errors.ts): never the error's message or detail,
// which can quote the values of the event being written.
import type { Logger } from 'pino';
import { describeStoreError, type StoreErrorMeaning } from './store-errors.js';

/** The part of the server's logger a store uses. */
export type StoreLogger = Pick<Logger, 'error' | 'info'>;

/** Why the store cannot take deliveries now, for /readyz and the start-up check. */
export interface StoreFailure {
  code: string;
  reason: string;
  action: string;
  permanent: boolean;
  /** When the current failing spell began. */
  since: Date;
}

export interface StoreHealthOptions {
  /** Where each cause is logged, once per failing spell. */
  logger?: StoreLogger;
  /** While writes fail, readiness tries a write at most this often (default 1000 ms). */
  probeEveryMs?: number;
}

/**
 * A write's size in bytes (its events' JSON text), or how to work it out: measured only when a failing
 * spell needs it, so the push path pays nothing while writes succeed.
 */
export type Size = number | (() => number);
const sizeOf = (size: Size): number => (typeof size === 'number' ? size : size());

interface Spell {
  /** The codes logged in this spell, in the order they first occurred. */
  codes: Set<string>;
  since: Date;
  last: StoreErrorMeaning;
  /**
   * The size of the last write that failed for want of space: a smaller write that succeeds proves
   * nothing (the readiness probe's tiny row still fits on a nearly full disk), so the spell ends only
   * with a write at least this large (a delivery's, or a probe padded to it).
   */
  neededBytes: number;
}

export class StoreHealth {
  /** The current failing spell; undefined while writes succeed. */
  private spell: Spell | undefined;
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
   * of a write tried here (`probe`, given the bytes it must write), since an instance the balancer
   * routes around gets no deliveries whose success could make it ready again.
   */
  ready(probe: (bytes: number) => Promise<unknown>): Promise<boolean> {
    if (this.writable) return Promise.resolve(true);
    if (performance.now() - this.lastProbe.at < this.probeEveryMs) return Promise.resolve(this.lastProbe.ok);
    const bytes = this.spell?.neededBytes ?? 0;
    this.probing ??= this.track(probe(bytes), bytes).then(
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

  /** False from a failed write until a write succeeds that proves the failure over. */
  get writable(): boolean {
    return this.spell === undefined;
  }

  /** The codes of the current failing spell, in the order they first occurred. */
  get causes(): string[] {
    return [...(this.spell?.codes ?? [])];
  }

  /** The current failure: its last cause, in words, and since when; undefined while writes succeed. */
  get failure(): StoreFailure | undefined {
    if (!this.spell) return undefined;
    const { code, reason, action, permanent } = this.spell.last;
    return { code, reason, action, permanent, since: this.spell.since };
  }

  /** Records a failed write of `bytes` (or a failed attempt to reach the store, with none). */
  failed(err: unknown, bytes: Size = 0): void {
    const meaning = describeStoreError(err);
    this.spell ??= { codes: new Set(), since: new Date(), last: meaning, neededBytes: 0 };
    this.spell.last = meaning;
    if (meaning.space) this.spell.neededBytes = sizeOf(bytes);
    if (this.spell.codes.has(meaning.code)) return;
    this.spell.codes.add(meaning.code);
    this.logger?.error(
      { store: this.store, code: meaning.code, reason: meaning.reason },
      `the inbox store cannot write: ${meaning.reason} (${meaning.code}). Pushes answer 500 and /readyz 503 until a write succeeds; ${meaning.action}.`,
    );
  }

  /** Records a write of `bytes` that succeeded: it ends the spell unless a larger one failed for want of space. */
  succeeded(bytes: Size = Infinity): void {
    if (!this.spell || (this.spell.neededBytes > 0 && sizeOf(bytes) < this.spell.neededBytes)) return;
    const causes = this.causes;
    const downMs = Date.now() - this.spell.since.getTime();
    this.spell = undefined;
    this.logger?.info({ store: this.store, causes, downMs }, `the inbox store writes again after ${Math.round(downMs / 1000)} s: /readyz answers 200`);
  }

  /** Records the outcome of a write of `bytes` and passes it on unchanged. */
  track<T>(write: Promise<T>, bytes: Size = 0): Promise<T> {
    return write.then(
      (value) => {
        this.succeeded(bytes);
        return value;
      },
      (err: unknown) => {
        this.failed(err, bytes);
        throw err;
      },
    );
  }
}
