/**
 * Every SQL statement the scaler sends, in one place. All are parameterised and sent as unnamed
 * statements (never `name:`), so they work behind PgBouncer in transaction pooling mode, which
 * rejects named prepared statements up to 1.23 unless `max_prepared_statements` is set.
 */

/**
 * Transaction-scoped time bound. `SET LOCAL` via set_config(..., true) ends with the transaction,
 * so nothing leaks to the next PgBouncer client; a startup `statement_timeout` would be rejected
 * by PgBouncer ("unsupported startup parameter").
 */
export const SET_LOCAL_STATEMENT_TIMEOUT = "SELECT set_config('statement_timeout', $1, true)";

/**
 * The one tick query: every queue and executor at once, so one read serves every ScaledObject.
 * Rows are also split by worker hostname (the pod name), which scale-in uses to find idle
 * workers; the reader ignores it on queued rows (a previous try's). Grouping by the plain column
 * is cheaper than a CASE on state (3.8 vs 4.2 ms at 10 M rows, EXPLAIN ANALYZE).
 * `state = ANY($1)` is answered from Airflow's `ti_state` index; no ORDER BY, no joins.
 * `oldest_queued_age` is the age of the group's oldest queued task (`queued_dttm`, set when the
 * scheduler queues it), measured against the database's own clock (`now()`, the transaction's
 * start), so a skewed scaler clock cannot distort it. The heap rows are read anyway for `queue`,
 * so it costs no further access (test/integration/metastore/task-count-reader.test.ts EXPLAINs it).
 */
export const COUNT_BY_QUEUE_EXECUTOR_STATE = `SELECT queue, executor, state, hostname, count(*) AS count,
  extract(epoch FROM now() - min(queued_dttm) FILTER (WHERE state = 'queued')) AS oldest_queued_age
FROM task_instance
WHERE state = ANY($1::text[])
GROUP BY queue, executor, state, hostname`;

/** Airflow < 2.10 has no `executor` column; the same counts with the executor left NULL. */
export const COUNT_BY_QUEUE_STATE = `SELECT queue, NULL::text AS executor, state, hostname, count(*) AS count,
  extract(epoch FROM now() - min(queued_dttm) FILTER (WHERE state = 'queued')) AS oldest_queued_age
FROM task_instance
WHERE state = ANY($1::text[])
GROUP BY queue, state, hostname`;

/** SQLSTATE 42703: undefined_column. */
export const UNDEFINED_COLUMN = '42703';

/**
 * Trace export: what this metastore's schema has. `task_instance.executor` (Airflow ≥ 2.10),
 * `task_instance.id` (3.x), `task_reschedule`'s key (`ti_id` in 3.x; dag_id, task_id, run_id,
 * map_index, try_number in 2.x), `dag_run`'s due instant (3.x `run_after`; 2.x
 * `data_interval_end` and `execution_date`), and whether the reading role may select from
 * `task_reschedule` and `dag_run` (information_schema lists only what the role may touch).
 */
export const TASK_HISTORY_SCHEMA = `SELECT c.table_name, c.column_name,
  has_table_privilege(quote_ident(c.table_schema) || '.' || quote_ident(c.table_name), 'SELECT') AS readable
FROM information_schema.columns c
WHERE c.table_schema = current_schema()
  AND ((c.table_name = 'task_instance' AND c.column_name IN ('executor', 'id'))
    OR (c.table_name = 'task_reschedule' AND c.column_name IN ('ti_id', 'run_id'))
    OR (c.table_name = 'dag_run' AND c.column_name IN ('run_type', 'run_after', 'data_interval_end', 'execution_date')))`;

/** How `task_reschedule` rows are found for a task instance, if they can be read at all. */
export type RescheduleKey = 'ti_id' | 'composite' | null;

/**
 * Where a run's due instant (`run_after`) comes from, if `dag_run` can be read at all: Airflow 3
 * keeps it (`dag_run.run_after`); on 2.x it is the end of the data interval, when the scheduler
 * creates a run of an interval timetable (DagModel.next_dagrun_create_after is
 * data_interval_end), or the logical date where there is no interval (3.x's client default for
 * run_after is the same coalesce).
 */
export type RunAfterSource = 'run_after' | 'data_interval_end' | null;

const RUN_AFTER: Record<Exclude<RunAfterSource, null>, string> = {
  run_after: 'dr.run_after',
  data_interval_end: 'coalesce(dr.data_interval_end, dr.execution_date)',
};

/**
 * Trace export (`airflow-keda-scaler export-trace`): finished task instances queued within
 * [$1, $2), optionally only some queues ($3, NULL = all) and only some executors ($4 names, $5
 * whether NULL, the default executor, counts; $4 NULL = every executor). With each, its try's
 * reschedules (sensors in mode=reschedule), oldest first, so the export can take out the time
 * between pokes, when the task held no slot; and its run's type and due instant from `dag_run`
 * (one row per task instance through the unique (dag_id, run_id) key). Read through a cursor
 * inside one read-only transaction: the cursor ends with the transaction, so nothing outlives it
 * on a PgBouncer server connection. No ORDER BY: the metastore has no index on queued_dttm and
 * the reader sorts; without a sort PostgreSQL streams rows as it scans.
 */
export function declareTaskHistoryCursor(schema: { readonly executor: boolean; readonly reschedule: RescheduleKey; readonly runAfter: RunAfterSource }): string {
  const reschedule =
    schema.reschedule === null
      ? 'NULL::timestamptz[] AS poke_starts, NULL::timestamptz[] AS poke_ends, NULL::timestamptz[] AS poke_reschedules'
      : 'r.poke_starts, r.poke_ends, r.poke_reschedules';
  const join =
    schema.reschedule === null
      ? ''
      : `
LEFT JOIN LATERAL (
  SELECT array_agg(tr.start_date ORDER BY tr.id) AS poke_starts, array_agg(tr.end_date ORDER BY tr.id) AS poke_ends,
    array_agg(tr.reschedule_date ORDER BY tr.id) AS poke_reschedules
  FROM task_reschedule tr
  WHERE ${
    schema.reschedule === 'ti_id'
      ? 'tr.ti_id = ti.id'
      : 'tr.dag_id = ti.dag_id AND tr.task_id = ti.task_id AND tr.run_id = ti.run_id AND tr.map_index = ti.map_index AND tr.try_number = ti.try_number'
  }
) r ON true`;
  const run =
    schema.runAfter === null ? 'NULL::text AS run_type, NULL::timestamptz AS run_after' : `dr.run_type, ${RUN_AFTER[schema.runAfter]} AS run_after`;
  const runJoin = schema.runAfter === null ? '' : '\nLEFT JOIN dag_run dr ON dr.dag_id = ti.dag_id AND dr.run_id = ti.run_id';
  // Without the executor column (Airflow < 2.10) there is nothing to filter on: three parameters.
  const executor = schema.executor ? `
  AND ($4::text[] IS NULL OR ti.executor = ANY($4::text[]) OR ($5::boolean AND ti.executor IS NULL))` : '';
  return `DECLARE task_history NO SCROLL CURSOR FOR
SELECT ti.queue, ti.queued_dttm, ti.start_date, ti.end_date, ti.dag_id, ti.task_id, ti.run_id, ti.try_number, ti.state, ${reschedule}, ${run}
FROM task_instance ti${join}${runJoin}
WHERE ti.queued_dttm >= $1 AND ti.queued_dttm < $2
  AND ti.start_date IS NOT NULL AND ti.end_date IS NOT NULL
  AND ($3::text[] IS NULL OR ti.queue = ANY($3::text[]))${executor}`;
}

/** Rows per round trip; a constant because FETCH takes no parameters. */
export const TASK_HISTORY_BATCH = 5000;
export const FETCH_TASK_HISTORY = `FETCH ${TASK_HISTORY_BATCH} FROM task_history`;
export const CLOSE_TASK_HISTORY_CURSOR = 'CLOSE task_history';

/*
 * Pre-warming (core/prewarm.ts). Which column names a metastore has depends on its Airflow
 * version: 3.x `dag.is_stale` and `dag_run.logical_date`, 2.10 `dag.is_active` (inverted) and
 * `dag_run.execution_date`. They are read once from information_schema (AIRFLOW_SHAPE) and the
 * statements below are chosen by that shape: fixed texts, every value a parameter. Whether
 * `task_instance.executor` exists (2.10+) is the tick query's own finding, shared with the wave
 * read so that counts and forecast filter executors alike.
 */

/**
 * The columns that tell Airflow 3 from 2.10 and earlier, and every other column the forecast
 * queries below use (a metastore without one gets no forecast rather than a failing query).
 */
export const AIRFLOW_SHAPE = `SELECT table_name, column_name
FROM information_schema.columns
WHERE table_schema = current_schema()
  AND table_name IN ('dag', 'dag_run', 'task_instance')
  AND column_name IN ('is_stale', 'is_active', 'logical_date', 'execution_date',
    'dag_id', 'run_id', 'is_paused', 'has_import_errors', 'next_dagrun_create_after', 'run_type',
    'start_date', 'queue', 'queued_dttm')`;

/** Columns both shapes need, by table (the version-specific ones are told apart in AirflowShape). */
export const FORECAST_COLUMNS: Readonly<Record<'dag' | 'dag_run' | 'task_instance', readonly string[]>> = {
  dag: ['dag_id', 'is_paused', 'has_import_errors', 'next_dagrun_create_after'],
  dag_run: ['dag_id', 'run_id', 'run_type', 'start_date'],
  task_instance: ['dag_id', 'run_id', 'queue', 'queued_dttm'],
};

/** A table or column the statement names does not exist: the schema changed under the scaler. */
export const UNDEFINED_TABLE = '42P01';

export interface AirflowShape {
  /** `dag.is_stale` (3.x) or `dag.is_active` (2.x). */
  readonly live: 'is_stale' | 'is_active';
  /** `dag_run.logical_date` (3.x) or `dag_run.execution_date` (2.x). */
  readonly runDate: 'logical_date' | 'execution_date';
}

/**
 * Live DAGs whose next scheduled run the scheduler creates in [$1, $2), soonest first, at most
 * $3: the scheduler's own filter (`DagModel.dags_needing_dagruns`: not paused, not stale, no
 * import errors) on the indexed `next_dagrun_create_after` (idx_next_dagrun_create_after). A
 * NULL (no timetable run: schedule None, asset-triggered, or at max_active_runs before 3.2) is
 * never in the range.
 */
export function dueDagsQuery(shape: AirflowShape): string {
  const live = shape.live === 'is_stale' ? 'is_stale = false' : 'is_active = true';
  return `SELECT dag_id, next_dagrun_create_after
FROM dag
WHERE next_dagrun_create_after >= $1 AND next_dagrun_create_after < $2
  AND is_paused = false AND ${live} AND has_import_errors = false
ORDER BY next_dagrun_create_after
LIMIT $3`;
}

/**
 * For each DAG in $1, its last $2 scheduled runs that started, newest first, and per run the
 * tasks queued within $3 seconds of its start (its first wave), by queue and executor. The runs
 * come from the unique (dag_id, logical_date) index read backwards; the tasks from ti_dag_run.
 * Manual, backfill and asset-triggered runs never count. A run whose first wave queued nothing
 * still yields a row (count 0), so it weighs in the median.
 */
export function firstWavesQuery(shape: AirflowShape, executorColumn: boolean): string {
  const executor = executorColumn ? 'ti.executor' : 'NULL::text';
  return `SELECT r.dag_id, r.run_id, r.run_date, ti.queue, ${executor} AS executor, count(ti.queue)::int AS count
FROM unnest($1::text[]) AS d(dag_id)
CROSS JOIN LATERAL (
  SELECT dr.dag_id, dr.run_id, dr.start_date, dr.${shape.runDate} AS run_date
  FROM dag_run dr
  WHERE dr.dag_id = d.dag_id AND dr.run_type = 'scheduled'
    AND dr.${shape.runDate} IS NOT NULL AND dr.start_date IS NOT NULL
  ORDER BY dr.${shape.runDate} DESC
  LIMIT $2
) r
LEFT JOIN task_instance ti
  ON ti.dag_id = r.dag_id AND ti.run_id = r.run_id AND ti.queue IS NOT NULL
  AND ti.queued_dttm IS NOT NULL AND ti.queued_dttm < r.start_date + make_interval(secs => $3)
GROUP BY r.dag_id, r.run_id, r.run_date, ti.queue, ${executor}
ORDER BY r.dag_id, r.run_date DESC`;
}

export const SAVEPOINT_FORECAST = 'SAVEPOINT forecast';
export const RELEASE_FORECAST = 'RELEASE SAVEPOINT forecast';
export const ROLLBACK_TO_FORECAST = 'ROLLBACK TO SAVEPOINT forecast';
