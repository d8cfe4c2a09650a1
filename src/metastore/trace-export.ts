import { createHmac } from 'node:crypto';

import pg from 'pg';

import type { MetastoreConfig } from '../core/config.js';
import { ErrorCode, ScalerError, coerceError } from '../core/errors.js';
import { pgClientSettings } from './client-config.js';
import {
  CLOSE_TASK_HISTORY_CURSOR,
  DECLARE_TASK_HISTORY_CURSOR,
  FETCH_TASK_HISTORY,
  SET_LOCAL_STATEMENT_TIMEOUT,
} from './queries.js';

export interface TaskHistoryWindow {
  /** Tasks queued at or after this instant… */
  readonly since: Date;
  /** …and before this one. */
  readonly until: Date;
  /** Only these queues; null = every queue. */
  readonly queues: readonly string[] | null;
  /** HMAC key for dag and task ids: ids never leave this module in clear text. */
  readonly hashKey: Buffer;
  /** Time bound of each statement (DECLARE and every FETCH). */
  readonly statementTimeoutMs: number;
}

/** One finished task instance, as the trace CSV needs it. */
export interface ExportedTask {
  readonly queue: string;
  readonly queuedAtMs: number;
  /** end_date − start_date of the recorded try. */
  readonly durationSeconds: number;
  readonly dagHash: string;
  /** Hash of dag_id + task_id (task ids repeat across DAGs). */
  readonly taskHash: string;
  readonly tryNumber: number | null;
  readonly state: string | null;
}

interface HistoryRecord {
  queue: string | null;
  queued_dttm: Date;
  start_date: Date;
  end_date: Date;
  dag_id: string;
  task_id: string;
  try_number: number | null;
  state: string | null;
}

function hasher(key: Buffer): (text: string) => string {
  return (text) => createHmac('sha256', key).update(text).digest('hex').slice(0, 16);
}

/**
 * Reads finished task instances from `task_instance` in batches, read-only and PgBouncer-safe:
 * one connection, one `BEGIN READ ONLY` transaction, unnamed parameterised statements, the time
 * bound set transaction-locally, and a cursor that dies with the transaction. Rows with a NULL
 * queue get Airflow's default queue name, `default`.
 */
export async function* readTaskHistory(metastore: MetastoreConfig, window: TaskHistoryWindow): AsyncGenerator<ExportedTask[]> {
  const settings = pgClientSettings(metastore, window.statementTimeoutMs);
  const client = new pg.Client(settings.pool);
  client.on('error', () => undefined); // surfaced by the failing query instead
  const hash = hasher(window.hashKey);
  try {
    await client.connect();
  } catch (err) {
    throw failure(metastore, 'cannot connect to the metastore', err);
  }
  let inTransaction = false;
  try {
    await client.query('BEGIN READ ONLY');
    inTransaction = true;
    await client.query(SET_LOCAL_STATEMENT_TIMEOUT, [`${window.statementTimeoutMs}ms`]);
    await client.query(DECLARE_TASK_HISTORY_CURSOR, [window.since, window.until, window.queues === null ? null : [...window.queues]]);
    for (;;) {
      const result = await client.query<HistoryRecord>(FETCH_TASK_HISTORY);
      if (result.rows.length === 0) break;
      yield result.rows.map((row) => ({
        queue: row.queue ?? 'default',
        queuedAtMs: row.queued_dttm.getTime(),
        durationSeconds: Math.max(0, (row.end_date.getTime() - row.start_date.getTime()) / 1000),
        dagHash: hash(row.dag_id),
        taskHash: hash(`${row.dag_id}\u0000${row.task_id}`),
        tryNumber: row.try_number,
        state: row.state,
      }));
    }
    await client.query(CLOSE_TASK_HISTORY_CURSOR);
    await client.query('COMMIT');
    inTransaction = false;
  } catch (err) {
    throw failure(metastore, 'the task history query failed', err);
  } finally {
    if (inTransaction) await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

function failure(metastore: MetastoreConfig, what: string, err: unknown): ScalerError {
  const cause = coerceError(err);
  const code = (cause as { code?: unknown }).code;
  const detail = typeof code === 'string' ? `${cause.message} (SQLSTATE ${code})` : cause.message;
  return new ScalerError(ErrorCode.MetastoreQueryFailed, `metastore "${metastore.name}": ${what}: ${detail}`, { cause });
}
