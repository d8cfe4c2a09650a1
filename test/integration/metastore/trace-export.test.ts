import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { parseConfig } from '../../../src/core/config.js';
import { ErrorCode, ScalerError } from '../../../src/core/errors.js';
import type { MetastoreConfig } from '../../../src/core/config.js';
import type { ExportedTask } from '../../../src/metastore/trace-export.js';
import { readTaskHistory } from '../../../src/metastore/trace-export.js';
import type { AirflowSchema, AirflowTestDb } from '../../support/airflow-db.js';
import { createAirflowDb } from '../../support/airflow-db.js';

const servers = inject('servers');
const CLI = fileURLToPath(new URL('../../../dist/cli.js', import.meta.url));

interface HistoryRow {
  readonly dag: string;
  readonly task: string;
  readonly queue: string | null;
  readonly state: string;
  /** Seconds after 2024-03-04T00:00:00Z; null = not set. */
  readonly queued: number | null;
  readonly start: number | null;
  readonly end: number | null;
}

const T0 = Date.UTC(2024, 2, 4);
const at = (seconds: number | null): Date | null => (seconds === null ? null : new Date(T0 + seconds * 1000));

async function insertHistory(db: AirflowTestDb, rows: readonly HistoryRow[]): Promise<void> {
  let n = 0;
  for (const row of rows) {
    n += 1;
    const columns = ['dag_id', 'task_id', 'run_id', 'state', 'queue', 'pool', 'pool_slots', 'queued_dttm', 'start_date', 'end_date', 'try_number'];
    const values: unknown[] = [row.dag, row.task, `run_${n}`, row.state, row.queue, 'default_pool', 1, at(row.queued), at(row.start), at(row.end), 1];
    if (db.schema === '3') {
      columns.push('id');
      values.push(randomUUID());
    }
    const placeholders = values.map((_, i) => `$${i + 1}`).join(', ');
    await db.admin.query(`INSERT INTO task_instance (${columns.join(', ')}) VALUES (${placeholders})`, values);
  }
}

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

function metastoreFor(url: string): MetastoreConfig {
  const [metastore] = parseConfig({ file: { metastores: { default: { url } } }, env: {} }).metastores;
  if (metastore === undefined) throw new Error('no metastore');
  return metastore;
}

async function exportAll(url: string, queues: string[] | null = null, key = 'k1'): Promise<ExportedTask[]> {
  const tasks: ExportedTask[] = [];
  const window = { since: new Date(T0), until: new Date(T0 + 3600_000), queues, hashKey: Buffer.from(key), statementTimeoutMs: 5_000 };
  for await (const batch of readTaskHistory(metastoreFor(url), window)) tasks.push(...batch);
  return tasks.sort((a, b) => a.queuedAtMs - b.queuedAtMs);
}

describe.each<AirflowSchema>(['3', '2.10'])('readTaskHistory through PgBouncer (Airflow %s schema)', (schema) => {
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
    const window = { since: new Date(0), until: new Date(), queues: null, hashKey: Buffer.from('k'), statementTimeoutMs: 500 };
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
    expect(exported.stderr).toContain('exported 4 finished tasks');
    expect(exported.code).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('queue,queued_at,duration_seconds,dag_hash,task_hash,try_number,state');
    expect(lines).toHaveLength(5);
    expect(lines.some((line) => line.startsWith('default,2024-03-04T00:00:10.000Z,60,'))).toBe(true);

    const simulated = await cli(['simulate', '--trace', file, '--json'], {});
    expect(simulated.code).toBe(0);
    const doc = JSON.parse(simulated.stdout) as { workload: { tasks: number }; runs: { tasks: { completed: number } }[] };
    expect(doc.workload.tasks).toBe(4);
    expect(doc.runs[0]?.tasks.completed).toBe(4);
  });

  it('refuses a bad window with exit status 2', async () => {
    const out = await cli(['export-trace', '--since', 'last tuesday'], { SCALER_DATABASE_URL: db.bouncerUrl() });
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--since="last tuesday" must be an ISO-8601 time or a duration such as 7d or 12h');
  });
});
