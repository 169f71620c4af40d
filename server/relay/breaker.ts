// A destination's circuit breaker: after `threshold` failures in a row it opens, and then lets one
// probe through per interval instead of a flood; the probe's success closes it.

export interface BreakerOptions {
  /** Failures in a row that open the circuit. */
  threshold: number;
  /** Time between probes while open. */
  intervalMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { threshold: 5, intervalMs: 30_000 };

/** `half-open`: open, with its probe on its way. */
export type BreakerState = 'closed' | 'open' | 'half-open';

export class Breaker {
  private failures = 0;
  private probeAt = 0;
  // Stryker disable next-line BooleanLiteral: only an open circuit reads it, and the failure that opens it clears it
  private probing = false;

  constructor(private readonly options: BreakerOptions = DEFAULT_BREAKER) {}

  get state(): BreakerState {
    if (this.failures < this.options.threshold) return 'closed';
    return this.probing ? 'half-open' : 'open';
  }

  /** When an open circuit lets its next probe through (meaningless while closed). */
  get nextProbeAt(): number {
    return this.probeAt;
  }

  /** Failures in a row so far. */
  get failuresInARow(): number {
    return this.failures;
  }

  /** How many attempts may start now, of `wanted`: all when closed, one probe per interval when open. */
  admit(wanted: number, now: number): number {
    if (this.state === 'closed') return wanted;
    if (this.probing || now < this.probeAt || wanted === 0) return 0;
    this.probing = true;
    this.probeAt = now + this.options.intervalMs;
    return 1;
  }

  /** True when this success closed an open circuit. */
  success(): boolean {
    const wasOpen = this.failures >= this.options.threshold;
    this.failures = 0;
    // Stryker disable next-line BooleanLiteral: a closed circuit does not read it, and the failure that opens it again clears it
    this.probing = false;
    return wasOpen;
  }

  /** True when this failure opened the circuit. */
  failure(now: number): boolean {
    this.failures++;
    this.probing = false;
    if (this.failures !== this.options.threshold) return false;
    this.probeAt = now + this.options.intervalMs;
    return true;
  }

  /** An attempt that said nothing about the destination's health (e.g. a refusal) ends a probe. */
  neutral(): void {
    this.probing = false;
  }
}
