import type { PoolConfig } from 'pg';
import { parse } from 'pg-connection-string';

import type { MetastoreConfig } from '../core/config.js';

export const APPLICATION_NAME = 'airflow-keda-scaler';

/** libpq's TLS parameters; pg-connection-string turns them into node's TLS options as libpq would. */
const TLS_PARAMS = ['ssl', 'sslmode', 'sslcert', 'sslkey', 'sslrootcert', 'uselibpqcompat'];

export interface PgClientSettings {
  readonly pool: PoolConfig;
  /** Parameters dropped because PgBouncer would reject them as startup parameters (names only). */
  readonly ignoredParams: readonly string[];
}

/**
 * Builds a pg pool config from the parsed connection. `sslmode` follows libpq (`require` encrypts
 * without verifying, `verify-full` verifies), as SREs coming from psql and Airflow expect. Nothing
 * that pg would send as a startup parameter besides `application_name` (which PgBouncer tracks) is
 * passed on: no `options`, no `statement_timeout`. The credentials go to pg as fields, never
 * through a URL again, so nothing in them can be mistaken for a host.
 */
export function pgClientSettings(metastore: MetastoreConfig, queryTimeoutMs: number): PgClientSettings {
  const { connection } = metastore;
  const tlsQuery = new URLSearchParams();
  const ignoredParams: string[] = [];
  for (const [key, value] of Object.entries(connection.params)) {
    if (TLS_PARAMS.includes(key)) tlsQuery.set(key, value);
    else ignoredParams.push(key);
  }
  const tls = parse(`postgresql://localhost/?${tlsQuery.toString()}`, { useLibpqCompat: true });
  const pool: PoolConfig = {
    host: connection.host,
    port: connection.port,
    user: connection.user,
    password: connection.password,
    database: connection.database,
    ssl: tls.ssl as PoolConfig['ssl'],
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
