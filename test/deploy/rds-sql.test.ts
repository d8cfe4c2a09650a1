import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { parseConfig } from '../../src/core/config.js';
import { DAG_TABLES_DDL_AIRFLOW_3, TASK_INSTANCE_DDL_AIRFLOW_3 } from '../../src/demo/airflow-schema.js';
import { PgTaskCountReader } from '../../src/metastore/task-count-reader.js';
import { DEPLOY_DIR } from './helpers.js';
import { quietLogger } from '../support/quiet-logger.js';
import { withPgClient } from '../support/pg-client.js';

const servers = inject('servers');
const PSQL = process.env['TEST_PSQL'] ?? 'psql';
const CREATE_SQL = join(DEPLOY_DIR, 'rds/01-database-and-roles.sql');
const GRANT_SQL = join(DEPLOY_DIR, 'rds/02-grant-scaler-select.sql');

// Unique names: roles are cluster-wide and the suite shares one PostgreSQL.
const suffix = randomBytes(4).toString('hex');
const DB = `aks_rds_${suffix}`;
const AIRFLOW_USER = `aks_rds_airflow_${suffix}`;
const SCALER_USER = `aks_rds_scaler_${suffix}`;
// Characters that break naive quoting, in SQL, in URLs and in PgBouncer's users.txt.
const AIRFLOW_PASSWORD = `air'fl@w"${suffix}:/%`;
const SCALER_PASSWORD = `sc'aler"${suffix}@?#`;
const NAMES = { airflow_db: DB, airflow_user: AIRFLOW_USER, scaler_user: SCALER_USER };


function urlFor(database: string, user?: string, password?: string): string {
  const url = new URL(servers.postgresAdminUrl);
  url.pathname = `/${database}`;
  if (user !== undefined) {
    url.username = encodeURIComponent(user);
    url.password = encodeURIComponent(password ?? '');
  }
  return url.toString();
}

interface PsqlResult {
  readonly status: number | null;
  readonly output: string;
}

function psql(url: string, file: string, variables: Record<string, string>, env: Record<string, string> = {}): PsqlResult {
  const args = ['--no-psqlrc', `--dbname=${url}`, ...Object.entries(variables).map(([k, v]) => `--set=${k}=${v}`), `--file=${file}`];
  const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG') && !k.endsWith('_PASSWORD')));
  const result = spawnSync(PSQL, args, { encoding: 'utf8', env: { ...baseEnv, ...env } });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}


async function sqlState(url: string, sql: string): Promise<string | null> {
  return withPgClient(url, async (client) => {
    try {
      await client.query(sql);
      return null;
    } catch (err) {
      return String((err as { code?: unknown }).code);
    }
  });
}

const admin = (): string => servers.postgresAdminUrl;
const asAirflow = (): string => urlFor(DB, AIRFLOW_USER, AIRFLOW_PASSWORD);
const asScaler = (): string => urlFor(DB, SCALER_USER, SCALER_PASSWORD);
const PASSWORDS = { AIRFLOW_DB_PASSWORD: AIRFLOW_PASSWORD, SCALER_DB_PASSWORD: SCALER_PASSWORD };

async function exists(kind: 'database' | 'role', name: string): Promise<boolean> {
  const sql = kind === 'database' ? 'SELECT 1 FROM pg_database WHERE datname = $1' : 'SELECT 1 FROM pg_roles WHERE rolname = $1';
  return withPgClient(admin(), async (c) => (await c.query(sql, [name])).rowCount === 1);
}

describe('deploy/rds SQL against a real PostgreSQL', () => {
  beforeAll(() => {
    const version = spawnSync(PSQL, ['--version'], { encoding: 'utf8' });
    const major = Number(/(\d+)\.\d+/.exec(version.stdout)?.[1] ?? '0');
    if (major < 15) throw new Error(`psql >= 15 is needed (\\getenv); found: ${version.stdout || String(version.error)}`);
  });

  afterAll(async () => {
    await withPgClient(admin(), async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
      await client.query(`DROP ROLE IF EXISTS ${SCALER_USER}`);
      await client.query(`DROP ROLE IF EXISTS ${AIRFLOW_USER}`);
    });
  });

  it('01 refuses to run without the passwords in the environment, and creates nothing', async () => {
    const result = psql(admin(), CREATE_SQL, NAMES, { SCALER_DB_PASSWORD: SCALER_PASSWORD });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('AIRFLOW_DB_PASSWORD is not set');
    expect(await exists('role', AIRFLOW_USER)).toBe(false);
    expect(await exists('database', DB)).toBe(false);
  });

  it('01 creates the database owned by the Airflow user and the scaler role, and can run again', async () => {
    for (let run = 0; run < 2; run++) {
      const result = psql(admin(), CREATE_SQL, NAMES, PASSWORDS);
      expect(result.output).not.toMatch(/ERROR/);
      expect(result.status).toBe(0);
    }
    expect(psql(admin(), CREATE_SQL, NAMES, PASSWORDS).output).not.toContain(AIRFLOW_PASSWORD);
    await withPgClient(admin(), async (client) => {
      const owner = await client.query('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [DB]);
      expect(owner.rows).toEqual([{ owner: AIRFLOW_USER }]);
      const role = await client.query('SELECT rolconnlimit, rolconfig, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = $1', [SCALER_USER]);
      expect(role.rows[0]).toMatchObject({ rolconnlimit: 10, rolsuper: false, rolcreatedb: false, rolcreaterole: false });
      expect(role.rows[0].rolconfig).toEqual(expect.arrayContaining(['default_transaction_read_only=on']));
      // Nobody but the two roles (and the owner) may connect to Airflow's database.
      const acl = await client.query(
        `SELECT coalesce(r.rolname, 'PUBLIC') AS grantee, a.privilege_type
           FROM pg_database d, aclexplode(d.datacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee
          WHERE d.datname = $1 AND a.privilege_type = 'CONNECT'`,
        [DB],
      );
      expect(acl.rows.map((r: { grantee: string }) => r.grantee).sort()).toEqual([AIRFLOW_USER, SCALER_USER].sort());
    });
  });

  it('02 refuses to run before the migrations have created task_instance, dag and dag_run', () => {
    const result = psql(asAirflow(), GRANT_SQL, { scaler_user: SCALER_USER });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('task_instance, dag or dag_run does not exist yet');
  });

  it('the Airflow user logs in with its password and creates Airflow tables in schema public (the migrations)', async () => {
    await withPgClient(asAirflow(), async (client) => {
      await client.query(TASK_INSTANCE_DDL_AIRFLOW_3);
      await client.query(DAG_TABLES_DDL_AIRFLOW_3);
      // Airflow's `connection` table holds credentials: the scaler must never read it.
      await client.query('CREATE TABLE connection (id SERIAL PRIMARY KEY, conn_id VARCHAR(250) NOT NULL, password VARCHAR(5000))');
      await client.query("INSERT INTO connection (conn_id, password) VALUES ('example', 'secret')");
    });
  });

  it('02, run as the Airflow user like the in-cluster Job, grants the scaler SELECT on task_instance, dag and dag_run and can run again', () => {
    for (let run = 0; run < 2; run++) {
      const result = psql(asAirflow(), GRANT_SQL, { scaler_user: SCALER_USER });
      expect(result.output).not.toMatch(/ERROR|WARNING/);
      expect(result.status).toBe(0);
    }
  });

  it("the scaler role reads task_instance with the scaler's own query", async () => {
    await withPgClient(asAirflow(), async (client) => {
      for (const [state, queue] of [['queued', 'default'], ['running', 'default'], ['running', 'highcpu'], ['success', 'default']] as const) {
        await client.query(
          "INSERT INTO task_instance (id, dag_id, task_id, run_id, state, queue, pool, pool_slots) VALUES (gen_random_uuid(), 'dag', $1, 'run', $2, $3, 'default_pool', 1)",
          [`t_${state}_${queue}`, state, queue],
        );
      }
    });
    const [metastore] = parseConfig({ file: { metastores: { default: { url: asScaler() } } }, env: {} }).metastores;
    const reader = new PgTaskCountReader(metastore!, 2_000, quietLogger);
    try {
      const snapshot = await reader.read(1);
      const counts = Object.fromEntries(snapshot.rows.map((r) => [`${r.queue ?? ''}/${r.state}`, r.count]));
      expect(counts).toEqual({ 'default/queued': 1, 'default/running': 1, 'highcpu/running': 1 });
    } finally {
      await reader.close();
    }
  });

  it('the scaler role can read nothing else and change nothing', async () => {
    expect(await sqlState(asScaler(), 'SELECT * FROM connection')).toBe('42501'); // insufficient_privilege
    expect(await sqlState(asScaler(), "UPDATE task_instance SET state = 'failed'")).not.toBeNull();
    expect(await sqlState(asScaler(), 'CREATE TABLE scaler_was_here (id int)')).not.toBeNull();
    // Privileges, not just the read-only default: a session that turns read-only off still cannot write.
    expect(await sqlState(asScaler(), "BEGIN READ WRITE; DELETE FROM task_instance; COMMIT")).toBe('42501');
    await withPgClient(urlFor(DB), async (client) => {
      const privileges = await client.query(
        `SELECT has_table_privilege($1, 'public.task_instance', 'SELECT') AS select_ti,
                has_table_privilege($1, 'public.task_instance', 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') AS write_ti,
                has_table_privilege($1, 'public.dag', 'SELECT') AND has_table_privilege($1, 'public.dag_run', 'SELECT') AS select_dag_tables,
                has_table_privilege($1, 'public.connection', 'SELECT') AS select_other,
                has_schema_privilege($1, 'public', 'CREATE') AS create_in_public,
                has_database_privilege($1, $2, 'CREATE, TEMPORARY') AS create_in_db`,
        [SCALER_USER, DB],
      );
      expect(privileges.rows[0]).toEqual({ select_ti: true, write_ti: false, select_dag_tables: true, select_other: false, create_in_public: false, create_in_db: false });
    });
    // The executor-column probe and the count query need nothing more.
    await withPgClient(asScaler(), async (client) => {
      const result = await client.query("SELECT count(*)::int AS n FROM task_instance WHERE state = ANY($1::text[])", [['queued', 'running']]);
      expect(result.rows).toEqual([{ n: 3 }]);
    });
  });
});
