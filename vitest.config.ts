import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    env: { REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    coverage: {
      provider: 'v8',
      include: ['server/**/*.ts', 'client/**/*.ts'],
      exclude: ['server/console/**', '**/*.d.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'reports/coverage',
      // The run fails below 90% of lines on either side of the contract.
      thresholds: {
        'server/**': { lines: 90 },
        'client/**': { lines: 90 },
      },
    },
  },
});
