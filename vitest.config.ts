import { defineConfig } from 'vitest/config';

/**
 * Two layers. `unit`: pure code and in-memory ports, no database, no build, runs in seconds.
 * `integration`: real PostgreSQL and PgBouncer, real gRPC sockets, real Celery on Redis, real
 * CLI processes (built dist/), real Helm; global setup finds or starts the servers.
 * `npm test` runs both; `npm run test:unit` only the first.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/deploy/**/*.test.ts'],
          // The suites share one PostgreSQL and PgBouncer and stop/start PgBouncer; one file at a time.
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 120_000,
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
