import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { ErrorCode, ScalerError } from '../../../src/core/errors.js';
import type { ExportedTask } from '../../../src/metastore/trace-export.js';
import { readTaskHistory } from '../../../src/metastore/trace-export.js';
import type { AirflowTestDb } from '../../support/airflow-db.js';
import { createAirflowDb } from '../../support/airflow-db.js';
import type { HistoryRow } from '../../support/task-history.js';
import { T0, TASK_RESCHEDULE_DDL, exportAll, insertHistory, metastoreFor } from '../../support/task-history.js';

const servers = inject('servers');
const CLI = fileURLToPath(new URL('../../../dist/cli.js', import.meta.url));

const ROWS: readonly HistoryRow[] = [
  { dag: 'etl_sales', task: 'extract', queue: 'default', state: 'success', queued: 10, start: 12, end: 72 },
  { dag: 'etl_sales', task: 'load', queue: 'default', state: 'failed', queued: 100, start: 130, end: 135.5 },
  { dag: 'reports', task: 'extract', queue: 'high', state: 'success', queued: 50, start: 50, end: 60 },
  { dag: 'reports', task: 'render', queue: null, state: 'success', queued: 3000, start: 3001, end: 3002 },
  // Not exported: still running, never started, queued outside the window, no queued_dttm.
  { dag: 'etl_sales', task: 'transform', queue: 'default', state: 'running', queued: 20, start: 21, end: null },
  { dag: 'etl_sales', task: 'publish', queue: 'default', state: 'queued', queued: 30, start: null, end: null },
  { dag: 'old', task: 'x', queue: 'default', state: 'success', queued: -10, start: 0, end: 5 },
  { dag: 'late', task: 'x', queue: 'default', state: 'success', queued: 3600, start: 3600, end: 3700 },
  { dag: 'manual', task: 'x', queue: 'default', state: 'success', queued: null, start: 40, end: 45 },
];

describe.each<'3' | '2.10'>(['3', '2.10'])('readTaskHistory through PgBouncer (Airflow %s schema)', (schema) => {
  let db: AirflowTestDb;
  beforeAll(async () => {
    db = await createAirflowDb(servers, schema);
    await insertHistory(db, ROWS);
  });
  afterAll(async () => db.drop());

  it('exports finished tasks queued within the window, with queue, queued time and run time', async () => {
    const tasks = await exportAll(db.bouncerUrl('scaler_ro'));
    expect(tasks.map((t) => [t.queue, (t.queuedAtMs - T0) / 1000, t.durationSeconds, t.state])).toEqual([
      ['default', 10, 60, 'success'],
      ['high', 50, 10, 'success'],
      ['default', 100, 5.5, 'failed'],
      ['default', 3000, 1, 'success'], // NULL queue is Airflow's default queue
    ]);
  });

  it('hashes dag and task ids with the key: stable within an export, never in clear text', async () => {
    const tasks = await exportAll(db.bouncerUrl());
    const [extract, reportsExtract, load] = tasks;
    expect(extract?.dagHash).toBe(load?.dagHash); // both etl_sales
    expect(extract?.taskHash).not.toBe(reportsExtract?.taskHash); // same task_id, other DAG
    expect(JSON.stringify(tasks)).not.toMatch(/etl_sales|extract|reports/);
    expect(extract?.dagHash).toMatch(/^[0-9a-f]{16}$/);
    const rekeyed = await exportAll(db.bouncerUrl(), null, 'k2');
    expect(rekeyed[0]?.dagHash).not.toBe(extract?.dagHash);
  });

  it('filters by queue', async () => {
    const tasks = await exportAll(db.bouncerUrl(), ['high']);
    expect(tasks.map((t) => t.queue)).toEqual(['high']);
  });

  it('takes the time a task held no slot out: reschedules from task_reschedule, a deferral from its later queueing', async () => {
    const sensorsDb = await createAirflowDb(servers, schema);
    try {
      await sensorsDb.admin.query(TASK_RESCHEDULE_DDL[schema]);
      await insertHistory(sensorsDb, [
        // A sensor in mode=reschedule: pokes 100–102 and 400–401 (due again at 400 and 700), the
        // last from its queueing at 700 to 703. Airflow keeps the first poke's start as start_date.
        { dag: 'd', task: 'sensor', queue: 'default', state: 'success', queued: 700, start: 100, end: 703, pokes: [[100, 102, 400], [400, 401, 700]] },
        // Deferred at some point after 200, resumed: queued again at 1500, done at 1530.
        { dag: 'd', task: 'deferrable', queue: 'default', state: 'success', queued: 1500, start: 200, end: 1530 },
        { dag: 'd', task: 'plain', queue: 'default', state: 'success', queued: 50, start: 55, end: 65 },
      ]);
      const tasks = await exportAll(sensorsDb.bouncerUrl());
      expect(tasks.map((t) => [t.segment, (t.queuedAtMs - T0) / 1000, t.durationSeconds])).toEqual([
        ['whole', 50, 10],
        ['poke', 100, 2],
        ['deferred', 200, 0],
        ['poke', 400, 1],
        ['final-poke', 700, 3],
        ['resumed', 1500, 30],
      ]);
    } finally {
      await sensorsDb.drop();
    }
  });

  it('leaves nothing behind on the pooled server connection: no cursor, no timeout, no read-only flag', async () => {
    await exportAll(db.bouncerUrl());
    // The next client through PgBouncer usually gets the same idle server connection; any it gets must be clean.
    const client = new pg.Client({ connectionString: db.bouncerUrl() });
    await client.connect();
    try {
      const state = await client.query<{ cursors: string; timeout: string; readonly: string }>(
        "SELECT (SELECT count(*) FROM pg_cursors) AS cursors, current_setting('statement_timeout') AS timeout, current_setting('transaction_read_only') AS readonly",
      );
      expect(state.rows[0]).toEqual({ cursors: '0', timeout: '0', readonly: 'off' });
    } finally {
      await client.end();
    }
  });
});

describe('readTaskHistory failures', () => {
  it('reports an unreachable metastore as ASC_METASTORE_QUERY_FAILED', async () => {
    const window = { since: new Date(0), until: new Date(), queues: null, executors: null, hashKey: Buffer.from('k'), statementTimeoutMs: 500 };
    const reading = (async () => {
      const batches: ExportedTask[][] = [];
      for await (const batch of readTaskHistory(metastoreFor('postgresql://nobody@127.0.0.1:1/none'), window)) batches.push(batch);
      return batches;
    })();
    await expect(reading).rejects.toSatisfy((err: unknown) => err instanceof ScalerError && err.code === ErrorCode.MetastoreQueryFailed);
  });
});

describe('airflow-keda-scaler export-trace', () => {
  let db: AirflowTestDb;
  const dir = mkdtempSync(join(tmpdir(), 'aks-trace-'));
  beforeAll(async () => {
    db = await createAirflowDb(servers, '3');
    await insertHistory(db, ROWS);
  });
  afterAll(async () => db.drop());

  function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env } }, (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
      });
    });
  }

  it('writes a CSV that simulate replays', async () => {
    const file = join(dir, 'trace.csv');
    const env = { SCALER_DATABASE_URL: db.bouncerUrl('scaler_ro') };
    const exported = await cli(['export-trace', '--since', '2024-03-04T00:00:00Z', '--until', '2024-03-04T01:00:00Z', '--out', file], env);
    expect(exported.stderr).toContain('exported 4 rows of finished tasks');
    expect(exported.code).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('queue,queued_at,duration_seconds,dag_id,run_id,run_type,run_after,task_hash,try_number,state,segment');
    expect(exported.stderr).toContain('dag_run is not readable: run_type and run_after are left empty, so simulate --prewarm forecasts nothing');
    expect(lines).toHaveLength(5);
    expect(lines.some((line) => line.startsWith('default,2024-03-04T00:00:10.000Z,60,'))).toBe(true);

    const simulated = await cli(['simulate', '--trace', file, '--json'], {});
    expect(simulated.code).toBe(0);
    const doc = JSON.parse(simulated.stdout) as { workload: { tasks: number }; runs: { tasks: { completed: number } }[] };
    expect(doc.workload.tasks).toBe(4);
    expect(doc.runs[0]?.tasks.completed).toBe(4);
  });

  it("exports only the Celery executor's tasks by default, as the scaler counts them, and every executor's on request", async () => {
    const mixed = await createAirflowDb(servers, '3');
    try {
      await insertHistory(mixed, [
        { dag: 'a', task: 'celery', queue: 'default', state: 'success', queued: 10, start: 11, end: 20, executor: 'CeleryExecutor' },
        { dag: 'a', task: 'default', queue: 'default', state: 'success', queued: 20, start: 21, end: 30, executor: null },
        { dag: 'a', task: 'k8s', queue: 'default', state: 'success', queued: 30, start: 31, end: 40, executor: 'KubernetesExecutor' },
      ]);
      const env = { SCALER_DATABASE_URL: mixed.bouncerUrl('scaler_ro') };
      const window = ['export-trace', '--since', '2024-03-04T00:00:00Z', '--until', '2024-03-04T01:00:00Z'];
      const celery = await cli(window, env);
      expect(celery.code).toBe(0);
      expect(celery.stdout.trim().split('\n').slice(1).map((l) => l.split(',')[1])).toEqual(['2024-03-04T00:00:10.000Z', '2024-03-04T00:00:20.000Z']);
      const notDefault = await cli([...window, '--celery-is-default-executor', 'false'], env);
      expect(notDefault.stdout.trim().split('\n')).toHaveLength(2);
      const all = await cli([...window, '--all-executors'], env);
      expect(all.stdout.trim().split('\n')).toHaveLength(4);
      const clash = await cli([...window, '--all-executors', '--celery-executors', 'X'], env);
      expect(clash.code).toBe(2);
    } finally {
      await mixed.drop();
    }
  });

  it('writes nothing, not even the header or the file, when the metastore cannot be reached', async () => {
    const file = join(dir, 'never.csv');
    const env = { SCALER_DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none' };
    const toStdout = await cli(['export-trace', '--since', '1h'], env);
    expect(toStdout.code).toBe(1);
    expect(toStdout.stdout).toBe('');
    expect(toStdout.stderr).toContain('cannot connect to the metastore');
    const toFile = await cli(['export-trace', '--since', '1h', '--out', file], env);
    expect(toFile.code).toBe(1);
    expect(existsSync(file)).toBe(false);
  });

  it('ends quietly when the reader stops reading (export-trace | head)', async () => {
    const big = await createAirflowDb(servers, '3');
    try {
      await big.admin.query(`INSERT INTO task_instance (id, dag_id, task_id, run_id, state, queue, pool, pool_slots, queued_dttm, start_date, end_date, try_number)
        SELECT gen_random_uuid(), 'dag', 't' || g, 'r', 'success', 'default', 'default_pool', 1, $1::timestamptz + g * interval '1 ms', $1::timestamptz + g * interval '1 ms', $1::timestamptz + g * interval '2 ms', 1
        FROM generate_series(1, 60000) g`, [new Date(T0)]);
      // export-trace's standard output is the standard input of \`head -n 3\`, which exits after three lines.
      const head = spawn('head', ['-n', '3'], { stdio: ['pipe', 'pipe', 'inherit'] });
      const exporter = spawn(process.execPath, [CLI, 'export-trace', '--since', '2024-03-04T00:00:00Z', '--until', '2024-03-04T01:00:00Z'], {
        env: { PATH: process.env['PATH'] ?? '', SCALER_DATABASE_URL: big.bouncerUrl() },
        stdio: ['ignore', head.stdin, 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      head.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      exporter.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => exporter.on('close', resolve));
      const out = { code, stdout, stderr };
      expect(out.stdout.split('\n')).toHaveLength(4);
      // No stack trace, no error: only the notes that this test database has no task_reschedule and no dag_run.
      expect(out.stderr).toBe(
        'airflow-keda-scaler: task_reschedule is not readable: a rescheduled sensor counts as running from its first poke to its end\n' +
          'airflow-keda-scaler: dag_run is not readable: run_type and run_after are left empty, so simulate --prewarm forecasts nothing\n',
      );
      expect(out.code).toBe(0);
    } finally {
      await big.drop();
    }
  });

  it('refuses a bad window with exit status 2', async () => {
    const out = await cli(['export-trace', '--since', 'last tuesday'], { SCALER_DATABASE_URL: db.bouncerUrl() });
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--since="last tuesday" must be an ISO-8601 time or a duration such as 7d or 12h');
  });
});
