import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';

import type { AirflowTestDb } from '../../support/airflow-db.js';
import { createAirflowDb } from '../../support/airflow-db.js';
import { withDatabase } from '../../support/servers.js';
import type { ScalerClient } from '../../support/grpc-client.js';
import { connectScaler } from '../../support/grpc-client.js';
import type { TestService } from '../../support/service.js';
import { eventually, snapshotsAfterNow, startTestService } from '../../support/service.js';

/*
 * Schedule-aware pre-warming against the real metastore tables (Airflow 3 and 2.10 DDL) through
 * PgBouncer in transaction pooling, read by the scaler's read-only role.
 */
const servers = inject('servers');
const PREWARM = { queues: 'default', workerConcurrency: '16', prewarm: 'schedule', prewarmLeadSeconds: '120' };
const REACTIVE = { queues: 'default', workerConcurrency: '16' };

describe.each(['3', '2.10'] as const)('pre-warming on an Airflow %s metastore', (schema) => {
  let db: AirflowTestDb;
  let service: TestService;
  let client: ScalerClient;
  const live = schema === '3' ? 'is_stale' : 'is_active';
  const liveValue = schema === '3' ? false : true;
  const runDate = schema === '3' ? 'logical_date' : 'execution_date';

  const value = async (metadata: Record<string, string>): Promise<number> => (await client.getMetrics(metadata, '')).metricValues[0]?.metricValue ?? Number.NaN;
  const metrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${service.httpPort}/metrics`)).text();

  async function addDag(dagId: string, dueInMs: number | null, flags: { paused?: boolean; live?: boolean; importErrors?: boolean } = {}): Promise<void> {
    await db.admin.query(
      `INSERT INTO dag (dag_id, is_paused, ${live}, has_import_errors, max_active_tasks, next_dagrun_create_after) VALUES ($1, $2, $3, $4, 16, $5)`,
      [dagId, flags.paused ?? false, flags.live === false ? !liveValue : liveValue, flags.importErrors ?? false, dueInMs === null ? null : new Date(Date.now() + dueInMs)],
    );
  }

  /**
   * A past run of `dagId` that queued `firstWave` tasks at its start and `later` tasks 10 minutes
   * in. Tests add runs before the DAG becomes due: a due DAG's history is read once, when it does.
   */
  async function addRun(dagId: string, hoursAgo: number, runType: string, firstWave: number, later = 0, queue = 'default'): Promise<void> {
    const start = new Date(Date.now() - hoursAgo * 3_600_000);
    const runId = `${runType}__${start.toISOString()}`;
    const columns = ['dag_id', 'run_id', 'run_type', 'state', 'start_date', runDate, ...(schema === '3' ? ['run_after'] : [])];
    const values = [dagId, runId, runType, 'success', start, start, ...(schema === '3' ? [start] : [])];
    await db.admin.query(`INSERT INTO dag_run (${columns.join(', ')}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})`, values);
    const at = (ms: number): Date => new Date(start.getTime() + ms);
    await db.insert([
      ...Array.from({ length: firstWave }, () => ({ state: 'success', dagId, runId, queue, queuedAt: at(1_000) })),
      ...Array.from({ length: later }, () => ({ state: 'success', dagId, runId, queue, queuedAt: at(600_000) })),
    ]);
  }

  beforeAll(async () => {
    db = await createAirflowDb(servers, schema, { dagTables: true });
    service = await startTestService({ poll: { intervalMs: 200 }, metastores: { default: { url: db.bouncerUrl('scaler_ro') } } });
    client = connectScaler(service.grpcPort);
    await eventually(async () => (service.health().ready ? true : undefined));
  });
  afterAll(async () => {
    client.close();
    await service.close();
    await db.drop();
  });
  afterEach(async () => {
    await db.admin.query('DELETE FROM dag; DELETE FROM dag_run; DELETE FROM task_instance');
    await db.admin.query('GRANT SELECT ON dag, dag_run TO scaler_ro');
    // The next test starts from a snapshot of the empty tables.
    await snapshotsAfterNow(service);
  });

  it('raises GetMetrics to ceil(first wave / concurrency) before the run exists, from the scheduled runs only, and activates the set', async () => {
    // The last five scheduled runs queued about 40 tasks at their start (one outlier); a manual
    // run queued 500; later waves never count.
    for (const [hoursAgo, wave] of [[1, 40], [2, 41], [3, 400], [4, 39], [5, 40]] as const) await addRun('etl', hoursAgo, 'scheduled', wave, 30);
    await addRun('etl', 0.5, 'manual', 500);
    await addDag('etl', 60_000);
    await eventually(async () => ((await value(PREWARM)) === 3 ? true : undefined), 10_000, 50);
    expect(await value(REACTIVE)).toBe(0);
    expect((await client.isActive(PREWARM)).result).toBe(true);
    expect((await client.isActive(REACTIVE)).result).toBe(false);
    const text = await metrics();
    expect(text).toMatch(/^airflow_keda_scaler_worker_set_forecast_tasks\{[^}]*\} 40$/m);
    expect(text).toContain('airflow_keda_scaler_due_dags{metastore="default"} 1');
    expect(text).toContain('airflow_keda_scaler_forecast_available{metastore="default"} 1');
  });

  it('pushes true on StreamIsActive when a forecast first makes an idle set active', async () => {
    const stream = client.streamIsActive(PREWARM);
    const seen: boolean[] = [];
    stream.on('data', (message: { result: boolean }) => seen.push(message.result));
    stream.on('error', () => undefined);
    try {
      await snapshotsAfterNow(service, 2);
      expect(seen).toEqual([]);
      await addRun('etl', 1, 'scheduled', 20);
      await addDag('etl', 90_000);
      await eventually(async () => (seen.length === 1 ? true : undefined), 10_000, 20);
      expect(seen).toEqual([true]);
    } finally {
      stream.cancel();
    }
  });

  it('stops forecasting once the run exists, counting its queued tasks instead: never twice', async () => {
    for (let h = 1; h <= 3; h += 1) await addRun('etl', h, 'scheduled', 40);
    await addDag('etl', 30_000);
    await eventually(async () => ((await value(PREWARM)) === 3 ? true : undefined), 10_000, 50);
    // The scheduler creates the run: next_dagrun_create_after moves an interval on, its tasks queue.
    await db.admin.query("UPDATE dag SET next_dagrun_create_after = now() + interval '1 hour' WHERE dag_id = 'etl'");
    await db.insert(Array.from({ length: 40 }, () => ({ state: 'queued', dagId: 'etl', runId: 'scheduled__now' })));
    await snapshotsAfterNow(service, 2);
    expect(await value(PREWARM)).toBe(3);
    expect(await value(REACTIVE)).toBe(3);
  });

  it.each([
    ['a paused DAG', { paused: true }],
    ['a stale DAG', { live: false }],
    ['a DAG with import errors', { importErrors: true }],
  ])('forecasts nothing for %s', async (_label, flags) => {
    await addRun('etl', 1, 'scheduled', 40);
    await addDag('etl', 60_000, flags);
    await snapshotsAfterNow(service, 3);
    expect(await value(PREWARM)).toBe(0);
  });

  it('forecasts nothing for a DAG with only manual runs, one not yet within its lead, or one whose run never came', async () => {
    await addRun('manual-only', 1, 'manual', 40);
    await addDag('manual-only', 60_000);
    await addRun('later', 1, 'scheduled', 40);
    await addDag('later', 300_000);
    await addRun('never-came', 1, 'scheduled', 40);
    await addDag('never-came', -121_000);
    await addRun('no-timetable', 1, 'scheduled', 40);
    await addDag('no-timetable', null);
    await snapshotsAfterNow(service, 3);
    expect(await value(PREWARM)).toBe(0);
  });

  it('never lowers an answer when the due DAGs cannot be read (a lock past the 250 ms bound, a revoked grant): the last due list keeps forecasting', async () => {
    await addRun('etl', 1, 'scheduled', 40);
    await addDag('etl', 60_000);
    await db.insert(Array.from({ length: 20 }, () => ({ state: 'queued' })));
    await eventually(async () => ((await value(PREWARM)) === 4 ? true : undefined), 10_000, 50);
    expect(await value(REACTIVE)).toBe(2);

    // A migration (or a long VACUUM FULL) holds dag: the due-DAG read times out in its savepoint.
    const locker = new pg.Client({ connectionString: withDatabase(servers.postgresAdminUrl, db.name) });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE dag IN ACCESS EXCLUSIVE MODE');
      await eventually(async () => ((await metrics()).includes('airflow_keda_scaler_forecast_available{metastore="default"} 0') ? true : undefined), 10_000, 50);
      await snapshotsAfterNow(service, 2);
      expect(await value(PREWARM)).toBe(4);
      expect((await client.isActive(PREWARM)).result).toBe(true);
      expect(service.health().ready).toBe(true);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    await eventually(async () => ((await metrics()).includes('airflow_keda_scaler_forecast_available{metastore="default"} 1') ? true : undefined), 10_000, 50);

    await db.admin.query('REVOKE SELECT ON dag FROM scaler_ro');
    await eventually(async () => ((await metrics()).includes('airflow_keda_scaler_forecast_available{metastore="default"} 0') ? true : undefined), 10_000, 50);
    await snapshotsAfterNow(service, 2);
    expect(await value(PREWARM)).toBe(4);
    // Every failed read is counted (what the alert's rate sees), not only the first.
    const failures = Number(/airflow_keda_scaler_forecast_errors_total\{metastore="default",step="due",code="DUE_DAGS_UNREADABLE"\} (\d+)/.exec(await metrics())?.[1]);
    expect(failures).toBeGreaterThanOrEqual(4);
    await db.admin.query('GRANT SELECT ON dag TO scaler_ro');
    await eventually(async () => ((await metrics()).includes('airflow_keda_scaler_forecast_available{metastore="default"} 1') ? true : undefined), 10_000, 50);
    expect(await value(PREWARM)).toBe(4);
  });

  it('pre-warms a set beyond limits.maxWorkerSets too: an invented set that filled the registry first changes nothing', async () => {
    const full = await startTestService({ poll: { intervalMs: 200 }, limits: { maxWorkerSets: 1 }, metastores: { default: { url: db.bouncerUrl('scaler_ro') } } });
    const fullClient = connectScaler(full.grpcPort);
    try {
      await eventually(async () => (full.health().ready ? true : undefined));
      await fullClient.getMetrics({ queues: 'invented', workerConcurrency: '1' }, '');
      await addRun('etl', 1, 'scheduled', 40);
      await addDag('etl', 60_000);
      await eventually(async () => ((await fullClient.getMetrics(PREWARM, '')).metricValues[0]?.metricValue === 3 ? true : undefined), 10_000, 50);
      expect((await fullClient.isActive(PREWARM)).result).toBe(true);
    } finally {
      fullClient.close();
      await full.close();
    }
  });

  it('follows an Airflow upgrade in place: the renamed columns are probed again and the forecast resumes without a restart', async () => {
    await addRun('etl', 1, 'scheduled', 40);
    await addDag('etl', 60_000);
    await eventually(async () => ((await value(PREWARM)) === 3 ? true : undefined), 10_000, 50);
    // What the other version's migrations leave: the live flag and the run date under the other names.
    const [fromLive, toLive, fromDate, toDate] = schema === '3' ? ['is_stale', 'is_active', 'logical_date', 'execution_date'] : ['is_active', 'is_stale', 'execution_date', 'logical_date'];
    const migrate = async (a: string, b: string, c: string, d: string): Promise<void> => {
      await db.admin.query(`ALTER TABLE dag RENAME COLUMN ${a} TO ${b}`);
      await db.admin.query(`UPDATE dag SET ${b} = NOT ${b}`);
      await db.admin.query(`ALTER TABLE dag_run RENAME COLUMN ${c} TO ${d}`);
    };
    await migrate(fromLive, toLive, fromDate, toDate);
    try {
      await snapshotsAfterNow(service, 3);
      expect(await metrics()).toContain('airflow_keda_scaler_forecast_available{metastore="default"} 1');
      expect(await value(PREWARM)).toBe(3);
    } finally {
      await migrate(toLive, fromLive, toDate, fromDate);
    }
  });
});
