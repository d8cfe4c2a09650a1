import { execFileSync } from 'node:child_process';

import pg from 'pg';

import { TASK_INSTANCE_DDL_AIRFLOW_3 } from '../../src/demo/airflow-schema.js';
import type { DedicatedPgBouncer } from '../support/pgbouncer-process.js';
import { startDedicatedPgBouncer } from '../support/pgbouncer-process.js';
import type { TestServers } from '../support/servers.js';
import { withDatabase } from '../support/servers.js';
import { withPgClient } from '../support/pg-client.js';

export const QUEUES = Array.from({ length: 10 }, (_, i) => `queue_${i}`);
const HOT_QUEUED = 1_000;
const HOT_RUNNING = 2_000;

export interface BenchEnvironment {
  readonly rows: number;
  readonly database: string;
  /** Superuser, straight to PostgreSQL. */
  readonly directUrl: string;
  /** Two PgBouncer aliases for the same database, so PgBouncer's SHOW STATS separates the sides. */
  readonly oursUrl: string;
  readonly baselineUrl: string;
  /** PgBouncer's admin console. */
  readonly adminUrl: string;
  readonly bouncer: DedicatedPgBouncer;
  close(): Promise<void>;
}

export function benchServers(): TestServers {
  const postgresAdminUrl = process.env['TEST_POSTGRES_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const pgbouncerBin = process.env['TEST_PGBOUNCER_BIN'] ?? 'pgbouncer';
  execFileSync(pgbouncerBin, ['--version'], { stdio: 'ignore' });
  return { mode: 'env', postgresAdminUrl, pgbouncerUrl: '', pgbouncerBin, containerNetwork: null };
}


/**
 * A metastore in Airflow 3's shape: `rows` task instances, ~99.97 % terminal over months of
 * history, plus a few thousand queued or running across 10 queues. Built once per size and reused
 * (a 10 M row table takes minutes to build).
 */
async function ensureMetastore(adminUrl: string, database: string, rows: number, log: (line: string) => void): Promise<void> {
  const exists = await withPgClient(adminUrl, async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount === 1);
  if (exists) {
    const ready = await withPgClient(withDatabase(adminUrl, database), async (c) => {
      const hasMarker = (await c.query("SELECT 1 FROM pg_tables WHERE tablename = 'bench_meta'")).rowCount === 1;
      if (!hasMarker) return false;
      const marker = await c.query<{ rows: string }>('SELECT rows FROM bench_meta');
      return Number(marker.rows[0]?.rows) === rows;
    });
    if (ready) return;
    await withPgClient(adminUrl, (c) => c.query(`DROP DATABASE ${database} WITH (FORCE)`));
  }
  log(`building a ${rows.toLocaleString('en-US')}-row task_instance in ${database} (once per size)…`);
  const started = Date.now();
  await withPgClient(adminUrl, (c) => c.query(`CREATE DATABASE ${database}`));
  await withPgClient(withDatabase(adminUrl, database), async (c) => {
    const [table, ...indexes] = TASK_INSTANCE_DDL_AIRFLOW_3.split(/;\s*\n/).map((s) => s.trim()).filter((s) => s.length > 0);
    await c.query(table ?? '');
    const history = rows - HOT_QUEUED - HOT_RUNNING;
    // History first, indexes after: far faster than maintaining nine indexes row by row.
    await c.query(`INSERT INTO task_instance (id, dag_id, task_id, run_id, map_index, state, try_number, hostname, pool, pool_slots, queue, priority_weight, queued_dttm, start_date, end_date, executor, updated_at)
      SELECT gen_random_uuid(), 'dag_' || (i % 1000), 'task_' || ((i / 1000) % 20), 'run_' || (i / 20000), -1,
             CASE WHEN i % 100 < 96 THEN 'success' WHEN i % 100 < 98 THEN 'failed' WHEN i % 100 < 99 THEN 'skipped' ELSE 'upstream_failed' END,
             1, 'airflow-worker-' || (i % 40), 'default_pool', 1, 'queue_' || (i % 10), 1,
             ts, ts + interval '5 seconds', ts + interval '65 seconds', CASE WHEN i % 7 = 0 THEN 'CeleryExecutor' ELSE NULL END, ts
      FROM generate_series(1, $1::bigint) AS i,
           LATERAL (SELECT now() - interval '120 days' + (i * interval '120 days' / $1::bigint) AS ts) AS t`, [history]);
    await c.query(`INSERT INTO task_instance (id, dag_id, task_id, run_id, map_index, state, try_number, hostname, pool, pool_slots, queue, priority_weight, queued_dttm, start_date, executor, updated_at)
      SELECT gen_random_uuid(), 'hot_dag_' || (i % 100), 'task_' || (i / 100), 'hot_run', -1,
             CASE WHEN i <= $1 THEN 'queued' ELSE 'running' END, 1,
             CASE WHEN i <= $1 THEN NULL ELSE 'airflow-worker-' || (i % 40) END, 'default_pool', 1, 'queue_' || (i % 10), 1,
             now(), CASE WHEN i <= $1 THEN NULL ELSE now() END, NULL, now()
      FROM generate_series(1, $2::int) AS i`, [HOT_QUEUED, HOT_QUEUED + HOT_RUNNING]);
    for (const index of indexes) await c.query(index);
    await c.query('VACUUM ANALYZE task_instance');
    await c.query('CREATE TABLE bench_meta (rows bigint)');
    await c.query('INSERT INTO bench_meta VALUES ($1)', [rows]);
    await c.query(`DO $$ BEGIN CREATE ROLE scaler_ro LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
    await c.query(`GRANT SELECT ON task_instance TO scaler_ro`);
  });
  log(`built in ${Math.round((Date.now() - started) / 1000)} s`);
}

export async function startBenchEnvironment(rows: number, log: (line: string) => void): Promise<BenchEnvironment> {
  const servers = benchServers();
  const database = `aks_bench_${rows}`;
  await ensureMetastore(servers.postgresAdminUrl, database, rows, log);
  const bouncer = await startDedicatedPgBouncer(servers, {
    databases: [`bench_ours = host={host} port={port} dbname=${database}`, `bench_baseline = host={host} port={port} dbname=${database}`],
    // As the Airflow chart's metadataPoolSize.
    defaultPoolSize: 10,
  });
  return {
    rows,
    database,
    directUrl: withDatabase(servers.postgresAdminUrl, database),
    oursUrl: withDatabase(bouncer.url, 'bench_ours'),
    baselineUrl: withDatabase(bouncer.url, 'bench_baseline'),
    adminUrl: withDatabase(bouncer.url, 'pgbouncer'),
    bouncer,
    close: () => bouncer.stop(),
  };
}

export interface BouncerStats {
  readonly xacts: number;
  readonly queries: number;
  /** Microseconds PgBouncer saw queries spend on the server. */
  readonly queryTimeUs: number;
}

/** PgBouncer's admin console speaks only the simple query protocol. */
async function adminQuery<T>(adminUrl: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    // Without parameters node-postgres uses the simple protocol, which the console requires.
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

export async function bouncerStats(adminUrl: string, alias: string): Promise<BouncerStats> {
  const rows = await adminQuery<Record<string, string>>(adminUrl, 'SHOW STATS');
  const row = rows.find((r) => r['database'] === alias);
  return {
    xacts: Number(row?.['total_xact_count'] ?? 0),
    queries: Number(row?.['total_query_count'] ?? 0),
    queryTimeUs: Number(row?.['total_query_time'] ?? 0),
  };
}

export async function bouncerConnections(adminUrl: string, alias: string): Promise<{ clients: number; servers: number }> {
  const clients = await adminQuery<Record<string, string>>(adminUrl, 'SHOW CLIENTS');
  const servers = await adminQuery<Record<string, string>>(adminUrl, 'SHOW SERVERS');
  return {
    clients: clients.filter((c) => c['database'] === alias).length,
    servers: servers.filter((s) => s['database'] === alias).length,
  };
}
