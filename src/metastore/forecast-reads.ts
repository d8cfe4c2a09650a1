import type pg from 'pg';

import type { DueWindow } from '../core/ports.js';
import type { DueDag, RunWave } from '../core/prewarm.js';
import type { AirflowShape } from './queries.js';
import { AIRFLOW_SHAPE, dueDagsQuery, FORECAST_COLUMNS, firstWavesQuery } from './queries.js';

/*
 * The reads behind pre-warming, on a client the caller holds inside a transaction. Each takes
 * the metastore's shape (Airflow 3 or 2.10 column names), read once from information_schema.
 */

/** The metastore's shape, or null when `dag` and `dag_run` are not readable (no grant, no tables). */
export async function readAirflowShape(client: pg.ClientBase): Promise<AirflowShape | null> {
  const result = await client.query<{ table_name: string; column_name: string }>(AIRFLOW_SHAPE);
  const has = (table: string, column: string): boolean => result.rows.some((row) => row.table_name === table && row.column_name === column);
  const live = has('dag', 'is_stale') ? 'is_stale' : has('dag', 'is_active') ? 'is_active' : null;
  const runDate = has('dag_run', 'logical_date') ? 'logical_date' : has('dag_run', 'execution_date') ? 'execution_date' : null;
  if (live === null || runDate === null) return null;
  for (const [table, columns] of Object.entries(FORECAST_COLUMNS)) if (!columns.every((column) => has(table, column))) return null;
  return { live, runDate };
}


export async function readDueDags(client: pg.ClientBase, shape: AirflowShape, window: DueWindow): Promise<DueDag[]> {
  const result = await client.query<{ dag_id: string; next_dagrun_create_after: Date }>(dueDagsQuery(shape), [
    new Date(window.fromMs),
    new Date(window.toMs),
    window.limit,
  ]);
  return result.rows.map((row) => ({ dagId: row.dag_id, dueAtMs: row.next_dagrun_create_after.getTime() }));
}

interface WaveRecord {
  dag_id: string;
  run_id: string;
  queue: string | null;
  executor: string | null;
  count: number;
}

/** Each DAG's last `runs` scheduled runs' first waves, newest first. */
export async function readFirstWaves(
  client: pg.ClientBase,
  shape: AirflowShape,
  /** Whether task_instance has `executor` (Airflow 2.10+): the tick query's own finding, so a wave and a count filter alike. */
  executorColumn: boolean,
  dagIds: readonly string[],
  runs: number,
  waveSeconds: number,
): Promise<Map<string, RunWave[]>> {
  const result = await client.query<WaveRecord>(firstWavesQuery(shape, executorColumn), [[...dagIds], runs, waveSeconds]);
  const byDag = new Map<string, RunWave[]>();
  let current: { dagId: string; runId: string; tasks: { queue: string; executor: string | null; count: number }[] } | undefined;
  // Rows come ordered by DAG, then run (newest first): each change of run starts a new wave.
  for (const row of result.rows) {
    if (current?.dagId !== row.dag_id || current.runId !== row.run_id) {
      current = { dagId: row.dag_id, runId: row.run_id, tasks: [] };
      const waves = byDag.get(row.dag_id) ?? [];
      waves.push({ tasks: current.tasks });
      byDag.set(row.dag_id, waves);
    }
    if (row.queue !== null && row.count > 0) current.tasks.push({ queue: row.queue, executor: row.executor, count: row.count });
  }
  for (const dagId of dagIds) if (!byDag.has(dagId)) byDag.set(dagId, []);
  return byDag;
}
