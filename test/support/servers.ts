import type {} from 'vitest';

/**
 * Where integration tests find PostgreSQL and PgBouncer. Resolved once by global-setup.ts and
 * handed to test files with vitest's provide/inject:
 *   1. TEST_POSTGRES_URL + TEST_PGBOUNCER_URL (what .ci/run starts on this machine), else
 *   2. a container runtime (testcontainers starts both), else
 *   3. fail. Never skip: a suite that silently tests nothing is a defect.
 */
export interface TestServers {
  readonly mode: 'env' | 'containers';
  /** Superuser URL straight to PostgreSQL (creates databases and roles). */
  readonly postgresAdminUrl: string;
  /** PgBouncer in pool_mode=transaction in front of that PostgreSQL; any database name works. */
  readonly pgbouncerUrl: string;
  /** env mode: the pgbouncer binary, to start dedicated instances for outage tests. */
  readonly pgbouncerBin: string | null;
  /** containers mode: how a PgBouncer container reaches PostgreSQL (network name and alias). */
  readonly containerNetwork: { readonly name: string; readonly postgresAlias: string } | null;
}

declare module 'vitest' {
  export interface ProvidedContext {
    servers: TestServers;
  }
}

/** Same server, another database (and optionally another user). */
export function withDatabase(url: string, database: string, user?: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  if (user !== undefined) {
    parsed.username = user;
    parsed.password = '';
  }
  return parsed.toString();
}
