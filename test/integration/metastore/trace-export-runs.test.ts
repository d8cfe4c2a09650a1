import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import type { AirflowSchema, AirflowTestDb } from '../../support/airflow-db.js';
import { createAirflowDb } from '../../support/airflow-db.js';
import type { HistoryRow } from '../../support/task-history.js';
import { T0, at, exportAll, insertHistory } from '../../support/task-history.js';

/*
 * export-trace's run columns, from dag_run on Airflow 3 and 2.10 through PgBouncer, as the scaler's
 * read-only role reads them: run_type as Airflow wrote it, and the instant the scheduler was due
 * to create the run (3.x run_after; 2.x the end of the data interval, else the logical date).
 */

const servers = inject('servers');
const CLI = fileURLToPath(new URL('../../../dist/cli.js', import.meta.url));

interface RunRow {
  readonly dag: string;
  readonly runId: string;
  readonly runType: string;
  /** Seconds after T0 the scheduler was due to create it. */
  readonly due: number;
  /** 2.x: whether the run has a data interval (ending at `due`); without one, execution_date is `due`. */
  readonly interval: boolean;
}

/** A dag_run row as each Airflow version writes it for a run due at `due`. */
async function insertRun(db: AirflowTestDb, run: RunRow): Promise<void> {
  const start = at(run.due + 1);
  if (db.schema === '3') {
    // CronTriggerTimetable, Airflow 3's default for a cron schedule: logical date = run_after.
    await db.admin.query(
      `INSERT INTO dag_run (dag_id, run_id, run_type, run_after, logical_date, data_interval_start, data_interval_end, start_date, state)
       VALUES ($1, $2, $3, $4, $4, $4, $4, $5, 'success')`,
      [run.dag, run.runId, run.runType, at(run.due), start],
    );
    return;
  }
  // CronDataIntervalTimetable, 2.x's: the run of [due − 1 h, due) has execution_date due − 1 h, created once due.
  const interval = run.interval ? [at(run.due - 3600), at(run.due)] : [null, null];
  const executionDate = run.interval ? at(run.due - 3600) : at(run.due);
  await db.admin.query(
    `INSERT INTO dag_run (dag_id, run_id, run_type, execution_date, data_interval_start, data_interval_end, start_date, state)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'success')`,
    [run.dag, run.runId, run.runType, executionDate, ...interval, start],
  );
}

const RUNS: readonly RunRow[] = [
  { dag: 'etl', runId: 'scheduled__2024-03-04T00:00:00+00:00', runType: 'scheduled', due: 0, interval: true },
  { dag: 'etl', runId: 'manual__2024-03-04T00:30:00+00:00', runType: 'manual', due: 1800, interval: false },
  { dag: 'reports', runId: 'scheduled__2024-03-04T00:00:00+00:00', runType: 'scheduled', due: 0, interval: true },
];

const TASKS: readonly HistoryRow[] = [
  { dag: 'etl', task: 'extract', queue: 'default', state: 'success', queued: 2, start: 3, end: 63, run: RUNS[0]!.runId },
  { dag: 'etl', task: 'load', queue: 'default', state: 'success', queued: 70, start: 71, end: 90, run: RUNS[0]!.runId },
  { dag: 'etl', task: 'extract', queue: 'default', state: 'success', queued: 1802, start: 1803, end: 1863, run: RUNS[1]!.runId },
  { dag: 'reports', task: 'render', queue: 'default', state: 'success', queued: 5, start: 5, end: 9, run: RUNS[2]!.runId },
];

describe.each<AirflowSchema>(['3', '2.10'])('export-trace run columns (Airflow %s schema)', (schema) => {
  let db: AirflowTestDb;
  beforeAll(async () => {
    db = await createAirflowDb(servers, schema, { dagTables: true });
    for (const run of RUNS) await insertRun(db, run);
    await insertHistory(db, TASKS);
  });
  afterAll(async () => db.drop());

  it("gives each task its run's type and due instant, with the run's id hashed", async () => {
    const tasks = await exportAll(db.bouncerUrl('scaler_ro'));
    expect(tasks.map((t) => [(t.queuedAtMs - T0) / 1000, t.runType, t.runAfterMs === null ? null : (t.runAfterMs - T0) / 1000])).toEqual([
      [2, 'scheduled', 0],
      [5, 'scheduled', 0],
      [70, 'scheduled', 0],
      [1802, 'manual', 1800],
    ]);
    const [extract, render, load, manual] = tasks;
    expect(load!.runHash).toBe(extract!.runHash);
    expect(manual!.runHash).not.toBe(extract!.runHash);
    // The same run_id in another DAG is another run.
    expect(render!.runHash).not.toBe(extract!.runHash);
    expect(extract!.runHash).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(tasks)).not.toMatch(/scheduled__|manual__/);
  });

  it('leaves the run columns empty when the role may not read dag_run', async () => {
    await db.admin.query('REVOKE SELECT ON dag_run FROM scaler_ro');
    try {
      const tasks = await exportAll(db.bouncerUrl('scaler_ro'));
      expect(tasks).toHaveLength(4);
      expect(tasks.every((t) => t.runType === null && t.runAfterMs === null)).toBe(true);
    } finally {
      await db.admin.query('GRANT SELECT ON dag_run TO scaler_ro');
    }
  });
});

describe('export-trace | simulate --prewarm', () => {
  let db: AirflowTestDb;
  const dir = mkdtempSync(join(tmpdir(), 'aks-runs-'));
  beforeAll(async () => {
    db = await createAirflowDb(servers, '3', { dagTables: true });
    // Twelve hourly runs of 48 one-minute tasks, queued from 2 s after each hour.
    const tasks: HistoryRow[] = [];
    for (let h = 0; h < 12; h++) {
      const runId = `scheduled__${new Date(T0 + h * 3_600_000).toISOString()}`;
      await insertRun(db, { dag: 'etl', runId, runType: 'scheduled', due: h * 3600, interval: true });
      for (let i = 0; i < 48; i++) {
        const queued = h * 3600 + 2 + i * 0.1;
        tasks.push({ dag: 'etl', task: `t${i}`, queue: 'default', state: 'success', queued, start: queued + 1, end: queued + 61, run: runId });
      }
    }
    await insertHistory(db, tasks);
  });
  afterAll(async () => db.drop());

  function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env } }, (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
      });
    });
  }

  it('exports the runs so that simulate forecasts them: workers ready when each run starts', async () => {
    const file = join(dir, 'etl.csv');
    const exported = await cli(['export-trace', '--since', '2024-03-04T00:00:00Z', '--until', '2024-03-04T12:00:00Z', '--out', file], {
      SCALER_DATABASE_URL: db.bouncerUrl('scaler_ro'),
    });
    expect(exported.code).toBe(0);
    expect(exported.stderr).not.toContain('dag_run is not readable');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1 + 12 * 48);
    expect(lines[1]).toMatch(/^default,2024-03-04T00:00:02\.000Z,60,[0-9a-f]{16},[0-9a-f]{16},scheduled,2024-03-04T00:00:00\.000Z,/);

    const simulated = await cli(['simulate', '--trace', file, '--json', '--replications', '4', '--pod-startup', '40', '--sweep', 'prewarm=off,schedule']);
    expect(simulated.code).toBe(0);
    const [reactive, prewarmed] = (JSON.parse(simulated.stdout) as { runs: { queueWaitSeconds: { mean: number } }[] }).runs;
    // Reactive: every run waits for a poll, the HPA and a pod start. Pre-warmed: only the first, which has no history.
    expect(reactive!.queueWaitSeconds.mean).toBeGreaterThan(30);
    expect(prewarmed!.queueWaitSeconds.mean).toBeLessThan(reactive!.queueWaitSeconds.mean / 5);
  });
});
