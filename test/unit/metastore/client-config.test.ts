import { describe, expect, it } from 'vitest';

import type { MetastoreConfig } from '../../../src/core/config.js';
import { parseMetastoreUrl } from '../../../src/core/metastore-url.js';
import { APPLICATION_NAME, pgClientSettings } from '../../../src/metastore/client-config.js';

function metastore(url: string, poolSize = 2): MetastoreConfig {
  const parsed = parseMetastoreUrl(url);
  if (!parsed.ok) throw new Error(parsed.reason);
  return { name: 'default', connection: parsed.value, poolSize };
}

describe('pgClientSettings', () => {
  it('takes host, port, user, password and database from the URL', () => {
    const { pool, ignoredParams } = pgClientSettings(metastore('postgresql://airflow:pw@pgbouncer.example:6432/airflow'), 2_000);
    expect(pool).toMatchObject({ host: 'pgbouncer.example', port: 6432, user: 'airflow', password: 'pw', database: 'airflow' });
    expect(typeof pool.port).toBe('number');
    expect(ignoredParams).toEqual([]);
  });

  it('decodes URL-encoded credentials and database names', () => {
    const { pool } = pgClientSettings(metastore('postgresql://us%40er:p%40ss%2Fw%3Ard%20x@h/air%20flow'), 2_000);
    expect(pool.user).toBe('us@er');
    expect(pool.password).toBe('p@ss/w:rd x');
    expect(pool.database).toBe('air flow');
  });

  it('leaves user and password unset when the URL has none', () => {
    const { pool } = pgClientSettings(metastore('postgresql://h/db'), 2_000);
    expect(pool.user).toBeUndefined();
    expect(pool.password).toBeUndefined();
    expect(pool.port).toBeUndefined();
  });

  it('reads user and password given as query parameters', () => {
    const { pool, ignoredParams } = pgClientSettings(metastore('postgresql://h/db?user=airflow&password=pw'), 2_000);
    expect(pool.user).toBe('airflow');
    expect(pool.password).toBe('pw');
    expect(ignoredParams).toEqual([]);
  });

  it('accepts a socket directory in ?host=', () => {
    const { pool } = pgClientSettings(metastore('postgresql:///airflow?host=/var/run/postgresql'), 2_000);
    expect(pool.host).toBe('/var/run/postgresql');
    expect(pool.database).toBe('airflow');
  });

  it('sslmode=require encrypts without verifying the certificate', () => {
    const { pool } = pgClientSettings(metastore('postgresql://h/db?sslmode=require'), 2_000);
    expect(pool.ssl).toEqual({ rejectUnauthorized: false });
  });

  it('sslmode=disable turns TLS off', () => {
    const { pool } = pgClientSettings(metastore('postgresql://h/db?sslmode=disable'), 2_000);
    expect(pool.ssl).toBe(false);
  });

  it('sslmode=verify-full verifies the certificate', () => {
    const { pool } = pgClientSettings(metastore('postgresql://h/db?sslmode=verify-full'), 2_000);
    expect(pool.ssl).toBeTruthy();
    expect(pool.ssl).not.toHaveProperty('rejectUnauthorized', false);
  });

  it('does not consider sslmode an ignored parameter', () => {
    expect(pgClientSettings(metastore('postgresql://h/db?sslmode=require'), 2_000).ignoredParams).toEqual([]);
  });

  it('never passes statement_timeout or options as startup parameters (PgBouncer rejects them)', () => {
    const url = 'postgresql://h/db?options=-c%20statement_timeout%3D5000&statement_timeout=5000';
    const { pool } = pgClientSettings(metastore(url), 2_000);
    expect(pool).not.toHaveProperty('statement_timeout');
    expect(pool).not.toHaveProperty('options');
    expect(pool).not.toHaveProperty('idle_in_transaction_session_timeout');
    expect(pool).not.toHaveProperty('lock_timeout');
    expect(JSON.stringify(pool)).not.toContain('statement_timeout');
  });

  it('lists unknown URL parameters in ignoredParams, in URL order', () => {
    const url = 'postgresql://h/db?sslmode=require&options=-c%20x%3D1&application_name=custom&connect_timeout=3&target_session_attrs=any';
    const { ignoredParams, pool } = pgClientSettings(metastore(url), 2_000);
    expect(ignoredParams).toEqual(['options', 'application_name', 'connect_timeout', 'target_session_attrs']);
    expect(pool.application_name).toBe(APPLICATION_NAME);
  });

  it('always identifies itself as airflow-keda-scaler', () => {
    expect(APPLICATION_NAME).toBe('airflow-keda-scaler');
    expect(pgClientSettings(metastore('postgresql://h/db'), 2_000).pool.application_name).toBe('airflow-keda-scaler');
  });

  it.each([1, 2])('sizes the pool to poolSize=%i and keeps no idle minimum', (poolSize) => {
    const { pool } = pgClientSettings(metastore('postgresql://h/db', poolSize), 2_000);
    expect(pool.max).toBe(poolSize);
    expect(pool.min).toBe(0);
  });

  it('bounds connecting by the query timeout and adds a client-side backstop above it', () => {
    const { pool } = pgClientSettings(metastore('postgresql://h/db'), 1_500);
    expect(pool.connectionTimeoutMillis).toBe(1_500);
    expect(pool.query_timeout).toBe(2_500);
    expect(pool.keepAlive).toBe(true);
    expect(pool.allowExitOnIdle).toBe(true);
  });
});
