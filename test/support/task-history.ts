import { randomUUID } from 'node:crypto';

import { parseConfig } from '../../src/core/config.js';
import type { MetastoreConfig } from '../../src/core/config.js';
import type { ExportedTask } from '../../src/metastore/trace-export.js';
import { readTaskHistory } from '../../src/metastore/trace-export.js';
import type { AirflowTestDb } from './airflow-db.js';

/** Finished (and unfinished) task instances as export-trace reads them, written into a test metastore. */

export interface HistoryRow {
  readonly dag: string;
  readonly task: string;
  readonly queue: string | null;
  readonly state: string;
  /** Seconds after 2024-03-04T00:00:00Z; null = not set. */
  readonly queued: number | null;
  readonly start: number | null;
  readonly end: number | null;
  readonly executor?: string | null;
  /** Reschedules of this try, as task_reschedule rows: [start, end, reschedule_date] in seconds. */
  readonly pokes?: readonly (readonly [number, number, number])[];
  /** Its run's run_id; default a run of its own. */
  readonly run?: string;
}

export const T0 = Date.UTC(2024, 2, 4);
export const at = (seconds: number | null): Date | null => (seconds === null ? null : new Date(T0 + seconds * 1000));

/** Airflow's task_reschedule: keyed by the task instance's id in 3.x, by its composite key and try in 2.x. */
export const TASK_RESCHEDULE_DDL: Record<'3' | '2.10', string> = {
  '3': `CREATE TABLE task_reschedule (id SERIAL PRIMARY KEY, ti_id UUID NOT NULL, start_date TIMESTAMPTZ NOT NULL,
    end_date TIMESTAMPTZ NOT NULL, duration INTEGER NOT NULL, reschedule_date TIMESTAMPTZ NOT NULL)`,
  '2.10': `CREATE TABLE task_reschedule (id SERIAL PRIMARY KEY, task_id VARCHAR(250) NOT NULL, dag_id VARCHAR(250) NOT NULL,
    run_id VARCHAR(250) NOT NULL, map_index INTEGER NOT NULL DEFAULT -1, try_number INTEGER NOT NULL, start_date TIMESTAMPTZ NOT NULL,
    end_date TIMESTAMPTZ NOT NULL, duration INTEGER NOT NULL, reschedule_date TIMESTAMPTZ NOT NULL)`,
};

let runs = 0;

export async function insertHistory(db: AirflowTestDb, rows: readonly HistoryRow[]): Promise<void> {
  for (const row of rows) {
    runs += 1;
    const runId = row.run ?? `run_${runs}`;
    const id = randomUUID();
    const columns = ['dag_id', 'task_id', 'run_id', 'state', 'queue', 'pool', 'pool_slots', 'queued_dttm', 'start_date', 'end_date', 'try_number', 'executor'];
    const values: unknown[] = [row.dag, row.task, runId, row.state, row.queue, 'default_pool', 1, at(row.queued), at(row.start), at(row.end), 1, row.executor ?? null];
    if (db.schema === '3') {
      columns.push('id');
      values.push(id);
    }
    const placeholders = values.map((_, i) => `$${i + 1}`).join(', ');
    await db.admin.query(`INSERT INTO task_instance (${columns.join(', ')}) VALUES (${placeholders})`, values);
    for (const [start, end, due] of row.pokes ?? []) {
      const times = [at(start), at(end), end - start, at(due)];
      if (db.schema === '3') await db.admin.query('INSERT INTO task_reschedule (ti_id, start_date, end_date, duration, reschedule_date) VALUES ($1, $2, $3, $4, $5)', [id, ...times]);
      else {
        await db.admin.query(
          'INSERT INTO task_reschedule (dag_id, task_id, run_id, map_index, try_number, start_date, end_date, duration, reschedule_date) VALUES ($1, $2, $3, -1, 1, $4, $5, $6, $7)',
          [row.dag, row.task, runId, ...times],
        );
      }
    }
  }
}

export function metastoreFor(url: string): MetastoreConfig {
  const [metastore] = parseConfig({ file: { metastores: { default: { url } } }, env: {} }).metastores;
  if (metastore === undefined) throw new Error('no metastore');
  return metastore;
}

export async function exportAll(url: string, queues: string[] | null = null, key = 'k1'): Promise<ExportedTask[]> {
  const tasks: ExportedTask[] = [];
  const window = { since: new Date(T0), until: new Date(T0 + 3600_000), queues, executors: null, hashKey: Buffer.from(key), statementTimeoutMs: 5_000 };
  for await (const batch of readTaskHistory(metastoreFor(url), window)) tasks.push(...batch);
  return tasks.sort((a, b) => a.queuedAtMs - b.queuedAtMs);
}
