import type { PoolConfig } from 'pg';
import { parse } from 'pg-connection-string';

import type { MetastoreConfig } from '../core/config.js';

export const APPLICATION_NAME = 'airflow-keda-scaler';

// Connection-string parameters that do not become startup parameters or are consumed here.
const CONSUMED_PARAMS = new Set([
  'host',
  'port',
  'user',
  'password',
  'database',
  'dbname',
  'ssl',
  'sslmode',
  'sslcert',
  'sslkey',
  'sslrootcert',
  'uselibpqcompat',
]);

export interface PgClientSettings {
  readonly pool: PoolConfig;
  /** URL parameters dropped because PgBouncer would reject them as startup parameters. */
  readonly ignoredParams: readonly string[];
}

/**
 * Builds a pg pool config from an explicit whitelist. `sslmode` follows libpq (`require` encrypts
 * without verifying, `verify-full` verifies), as SREs coming from psql and Airflow expect. Nothing
 * that pg would send as a startup parameter besides `application_name` (which PgBouncer tracks) is
 * passed on: no `options`, no `statement_timeout`.
 */
export function pgClientSettings(metastore: MetastoreConfig, queryTimeoutMs: number): PgClientSettings {
  const parsed = parse(metastore.url, { useLibpqCompat: true });
  const ignoredParams = [...new URL(metastore.url).searchParams.keys()].filter((key) => !CONSUMED_PARAMS.has(key));
  const port = parsed.port === null || parsed.port === undefined || parsed.port === '' ? undefined : Number(parsed.port);
  const pool: PoolConfig = {
    host: parsed.host ?? undefined,
    port,
    user: parsed.user === '' ? undefined : parsed.user,
    password: parsed.password === '' ? undefined : parsed.password,
    database: parsed.database ?? undefined,
    ssl: parsed.ssl as PoolConfig['ssl'],
    application_name: APPLICATION_NAME,
    max: metastore.poolSize,
    min: 0,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: queryTimeoutMs,
    // Client-side backstop for a hung network; the server-side bound is SET LOCAL statement_timeout.
    query_timeout: queryTimeoutMs + 1_000,
    keepAlive: true,
    allowExitOnIdle: true,
  };
  return { pool, ignoredParams };
}
