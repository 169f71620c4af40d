// A destination's circuit breaker: after `threshold` failures in a row it opens, and then lets one
// probe through per interval instead of a flood; the probe's success closes it.

export interface BreakerOptions {
  /** Failures in a row that open the circuit. */
  threshold: number;
  /** Time between probes while open. */
  intervalMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { threshold: 5, intervalMs: 30_000 };

export type BreakerState = 'closed' | 'open';

export class Breaker {
  private failures = 0;
  private nextProbeAt = 0;
  // Stryker disable next-line BooleanLiteral: only an open circuit reads it, and the failure that opens it clears it
  private probing = false;

  constructor(private readonly options: BreakerOptions = DEFAULT_BREAKER) {}

  get state(): BreakerState {
    return this.failures >= this.options.threshold ? 'open' : 'closed';
  }

  /** How many attempts may start now, of `wanted`: all when closed, one probe per interval when open. */
  admit(wanted: number, now: number): number {
    if (this.state === 'closed') return wanted;
    if (this.probing || now < this.nextProbeAt || wanted === 0) return 0;
    this.probing = true;
    this.nextProbeAt = now + this.options.intervalMs;
    return 1;
  }

  success(): void {
    this.failures = 0;
    // Stryker disable next-line BooleanLiteral: a closed circuit does not read it, and the failure that opens it again clears it
    this.probing = false;
  }

  failure(now: number): void {
    this.failures++;
    this.probing = false;
    if (this.failures === this.options.threshold) this.nextProbeAt = now + this.options.intervalMs;
  }

  /** An attempt that said nothing about the destination's health (e.g. a refusal) ends a probe. */
  neutral(): void {
    this.probing = false;
  }
}
