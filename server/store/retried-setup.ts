// A store's one-time setup (applying migrations, registering the relay's instance) runs once for all its
// callers, and again at the next call after it failed: a database that was unreachable at start must
// not leave the process unable to use it once it is back.

export class RetriedSetup {
  private pending: Promise<void> | undefined;

  /** `failure` turns what the setup threw into the error every waiting caller sees. */
  constructor(
    private readonly setup: () => Promise<void>,
    private readonly failure: (cause: unknown) => Error,
  ) {}

  /** Resolves once the setup has succeeded; starts it when none is under way. */
  run(): Promise<void> {
    this.pending ??= this.setup().catch((cause: unknown) => {
      this.pending = undefined;
      throw this.failure(cause);
    });
    return this.pending;
  }

  /** The setup under way or done, if it has started and not failed since. */
  get started(): Promise<void> | undefined {
    return this.pending;
  }
}
