import { randomUUID } from 'node:crypto';

import pg from 'pg';

import {
  DAG_TABLES_DDL_AIRFLOW_2_10,
  DAG_TABLES_DDL_AIRFLOW_3,
  TASK_INSTANCE_DDL_AIRFLOW_2_10,
  TASK_INSTANCE_DDL_AIRFLOW_3,
} from '../../src/demo/airflow-schema.js';
import type { TestServers } from './servers.js';
import { withDatabase } from './servers.js';

export type AirflowSchema = '3' | '2.10' | 'pre-2.10';

export interface TaskRow {
  readonly state: string | null;
  readonly queue?: string | null;
  readonly executor?: string | null;
  readonly hostname?: string | null;
  /** Defaults: dag `dag`, a run of its own. */
  readonly dagId?: string;
  readonly runId?: string;
  readonly queuedAt?: Date;
  /** Sets queued_dttm this many seconds before the database's now(); left NULL when absent. */
  readonly queuedSecondsAgo?: number;
}

/** A throw-away database holding Airflow's task_instance, reachable directly and via PgBouncer. */
export interface AirflowTestDb {
  readonly name: string;
  readonly schema: AirflowSchema;
  /** Straight to PostgreSQL, as superuser: for setup and assertions. */
  readonly admin: pg.Client;
  /** Through the shared PgBouncer (transaction pooling). */
  bouncerUrl(user?: string): string;
  insert(rows: readonly TaskRow[]): Promise<void>;
  /** Moves every task in `from` state (optionally one queue) to `to`. */
  transition(from: string, to: string, queue?: string): Promise<void>;
  clear(): Promise<void>;
  drop(): Promise<void>;
}

function ddlFor(schema: AirflowSchema): string {
  if (schema === '3') return TASK_INSTANCE_DDL_AIRFLOW_3;
  if (schema === '2.10') return TASK_INSTANCE_DDL_AIRFLOW_2_10;
  // Before 2.10 (migration 0019) there is no executor column.
  return TASK_INSTANCE_DDL_AIRFLOW_2_10.replace(/\n\s*executor\s+VARCHAR\(1000\),/, '\n');
}

let runCounter = 0;

export interface AirflowDbOptions {
  /** Also create `dag` and `dag_run` (pre-warming) and grant the scaler role SELECT on them. */
  readonly dagTables?: boolean;
}

export async function createAirflowDb(servers: TestServers, schema: AirflowSchema = '3', options: AirflowDbOptions = {}): Promise<AirflowTestDb> {
  const name = `aks_${schema.replace(/[^a-z0-9]/g, '_')}_${randomUUID().slice(0, 8)}`;
  const root = new pg.Client({ connectionString: servers.postgresAdminUrl });
  await root.connect();
  try {
    await root.query(`CREATE DATABASE ${name}`);
    // Roles are cluster-wide; the read-only scaler role is created once and granted per database.
    await root.query(`DO $$ BEGIN CREATE ROLE scaler_ro LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
  } finally {
    await root.end();
  }
  const admin = new pg.Client({ connectionString: withDatabase(servers.postgresAdminUrl, name) });
  await admin.connect();
  await admin.query(ddlFor(schema));
  await admin.query(`GRANT CONNECT ON DATABASE ${name} TO scaler_ro`);
  await admin.query('GRANT SELECT ON task_instance TO scaler_ro');
  if (options.dagTables === true) {
    await admin.query(schema === '3' ? DAG_TABLES_DDL_AIRFLOW_3 : DAG_TABLES_DDL_AIRFLOW_2_10);
    await admin.query('GRANT SELECT ON dag, dag_run TO scaler_ro');
  }

  const hasExecutor = schema !== 'pre-2.10';
  return {
    name,
    schema,
    admin,
    bouncerUrl: (user) => withDatabase(servers.pgbouncerUrl, name, user),
    insert: async (rows) => {
      for (const row of rows) {
        runCounter += 1;
        const columns = ['dag_id', 'task_id', 'run_id', 'state', 'queue', 'hostname', 'pool', 'pool_slots', 'queued_dttm'];
        const values: unknown[] = [
          row.dagId ?? 'dag',
          `task_${runCounter}`,
          row.runId ?? `run_${runCounter}`,
          row.state,
          row.queue === undefined ? 'default' : row.queue,
          row.hostname ?? null,
          'default_pool',
          1,
          row.queuedAt ?? null,
        ];
        if (schema === '3') {
          columns.push('id');
          values.push(randomUUID());
        }
        if (hasExecutor) {
          columns.push('executor');
          values.push(row.executor ?? null);
        }
        const placeholders = values.map((_, i) => `$${i + 1}`);
        if (row.queuedSecondsAgo !== undefined) {
          // By the database's clock, as the scheduler's now() would stamp it.
          const at = columns.indexOf('queued_dttm');
          values[at] = row.queuedSecondsAgo;
          placeholders[at] = `now() - make_interval(secs => $${at + 1})`;
        }
        await admin.query(`INSERT INTO task_instance (${columns.join(', ')}) VALUES (${placeholders.join(', ')})`, values);
      }
    },
    transition: async (from, to, queue) => {
      if (queue === undefined) await admin.query('UPDATE task_instance SET state = $2 WHERE state = $1', [from, to]);
      else await admin.query('UPDATE task_instance SET state = $2 WHERE state = $1 AND queue = $3', [from, to, queue]);
    },
    clear: async () => {
      await admin.query('DELETE FROM task_instance');
    },
    drop: async () => {
      await admin.end();
      const rootClient = new pg.Client({ connectionString: servers.postgresAdminUrl });
      await rootClient.connect();
      try {
        // PgBouncer keeps server connections to it; FORCE ends them.
        await rootClient.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await rootClient.end();
      }
    },
  };
}
