// A setting's refusal as the user reads it: the ConfigError's message, for the suites that check the
// words (run/settings, run/setting-grammar).
import { expect } from 'vitest';
import { ConfigError } from '../../server/run/config-error.js';

/** The ConfigError's message (fails the test if the call returns or throws anything else). */
export function refusal(read: () => unknown): string {
  try {
    read();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('taken');
}
