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
 * `state = ANY($1)` is answered from Airflow's `ti_state` index; no ORDER BY, no joins.
 */
export const COUNT_BY_QUEUE_EXECUTOR_STATE = `SELECT queue, executor, state, count(*) AS count
FROM task_instance
WHERE state = ANY($1::text[])
GROUP BY queue, executor, state`;

/** Airflow < 2.10 has no `executor` column; the same counts with the executor left NULL. */
export const COUNT_BY_QUEUE_STATE = `SELECT queue, NULL::text AS executor, state, count(*) AS count
FROM task_instance
WHERE state = ANY($1::text[])
GROUP BY queue, state`;

/** SQLSTATE 42703: undefined_column. */
export const UNDEFINED_COLUMN = '42703';
