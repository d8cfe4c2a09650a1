import { execFileSync } from 'node:child_process';

import pg from 'pg';
import type { TestProject } from 'vitest/node';

import { containerRuntimeAvailable, startContainers } from './containers.js';
import { startDedicatedPgBouncer } from './pgbouncer-process.js';
import type { TestServers } from './servers.js';

async function assertReachable(label: string, url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw new Error(`${label} (${url}) is not reachable: ${(err as Error).message}`, { cause: err });
  } finally {
    await client.end().catch(() => undefined);
  }
}

const LOCAL_POSTGRES_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

/**
 * Developer convenience outside CI: a PostgreSQL on the usual local port plus a pgbouncer binary
 * on PATH are enough; we start a PgBouncer for the run. CI must say what it started (env vars).
 */
async function startLocalServers(): Promise<{ servers: TestServers; stop: () => Promise<void> } | null> {
  try {
    execFileSync('pgbouncer', ['--version'], { stdio: 'ignore' });
    await assertReachable('local PostgreSQL', LOCAL_POSTGRES_URL);
  } catch {
    return null;
  }
  const base = { mode: 'env' as const, postgresAdminUrl: LOCAL_POSTGRES_URL, pgbouncerBin: 'pgbouncer', containerNetwork: null };
  const bouncer = await startDedicatedPgBouncer({ ...base, pgbouncerUrl: '' });
  return { servers: { ...base, pgbouncerUrl: bouncer.url }, stop: () => bouncer.stop() };
}

/**
 * Finds PostgreSQL and PgBouncer for the integration tests (see servers.ts) and builds dist/
 * for the tests that run the real CLI as a child process.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // npm run build, not bare tsc: it also copies the example scenarios the demo reads from dist/.
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });

  const postgresAdminUrl = process.env['TEST_POSTGRES_URL'];
  const pgbouncerUrl = process.env['TEST_PGBOUNCER_URL'];
  let servers: TestServers;
  let stop = async (): Promise<void> => undefined;
  let local: Awaited<ReturnType<typeof startLocalServers>>;
  if (postgresAdminUrl !== undefined && pgbouncerUrl !== undefined) {
    servers = {
      mode: 'env',
      postgresAdminUrl,
      pgbouncerUrl,
      pgbouncerBin: process.env['TEST_PGBOUNCER_BIN'] ?? 'pgbouncer',
      containerNetwork: null,
    };
  } else if (process.env['CI'] !== 'true' && (local = await startLocalServers()) !== null) {
    servers = local.servers;
    stop = local.stop;
  } else if (await containerRuntimeAvailable()) {
    const started = await startContainers();
    servers = started.servers;
    stop = () => started.stop();
  } else {
    throw new Error(
      'Integration tests need PostgreSQL and PgBouncer: set TEST_POSTGRES_URL and TEST_PGBOUNCER_URL ' +
        '(`bash .ci/run` starts both on a Debian machine), or provide a container runtime for testcontainers.',
    );
  }
  await assertReachable('PostgreSQL (TEST_POSTGRES_URL)', servers.postgresAdminUrl);
  await assertReachable('PgBouncer (TEST_PGBOUNCER_URL)', servers.pgbouncerUrl);
  project.provide('servers', servers);
  return stop;
}
