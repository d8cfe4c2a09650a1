import { createHmac } from 'node:crypto';

import pg from 'pg';

import type { MetastoreConfig } from '../core/config.js';
import { ErrorCode, ScalerError, coerceError } from '../core/errors.js';
import type { ExecutorFilter } from '../core/metadata.js';
import { pgClientSettings } from './client-config.js';
import type { RescheduleKey, RunAfterSource } from './queries.js';
import {
  CLOSE_TASK_HISTORY_CURSOR,
  FETCH_TASK_HISTORY,
  SET_LOCAL_STATEMENT_TIMEOUT,
  TASK_HISTORY_SCHEMA,
  declareTaskHistoryCursor,
} from './queries.js';

export interface TaskHistoryWindow {
  /** Tasks queued at or after this instant… */
  readonly since: Date;
  /** …and before this one. */
  readonly until: Date;
  /** Only these queues; null = every queue. */
  readonly queues: readonly string[] | null;
  /** Only these executors (the scaler's `celeryExecutors` rule); null = every executor. */
  readonly executors: ExecutorFilter | null;
  /** HMAC key for dag and task ids: ids never leave this module in clear text. */
  readonly hashKey: Buffer;
  /** Time bound of each statement (DECLARE and every FETCH). */
  readonly statementTimeoutMs: number;
}

/**
 * Which part of a task instance's try a row is, and so how exact its slot time is:
 * - `whole`: it ran once, start to end (end_date − start_date, exact);
 * - `poke`: one poke of a sensor in mode=reschedule (task_reschedule's start and end, exact);
 * - `final-poke`: its last poke, from its last queueing to its end (an upper bound: the queue
 *   wait is in it, its start is not recorded);
 * - `deferred`: its run before it deferred (Airflow records no end for it: duration 0);
 * - `resumed`: its run after the trigger fired, from its last queueing to its end (upper bound).
 */
export type TaskSegment = 'whole' | 'poke' | 'final-poke' | 'deferred' | 'resumed';

/** One slot occupation of a finished task instance, as the trace CSV needs it. */
export interface ExportedTask {
  readonly queue: string;
  readonly queuedAtMs: number;
  /** Time the task held a worker slot, as far as the metastore tells (see TaskSegment). */
  readonly durationSeconds: number;
  readonly dagHash: string;
  /** Hash of dag_id + run_id (run ids such as scheduled__2024-… repeat across DAGs). */
  readonly runHash: string;
  /** `dag_run.run_type` as Airflow wrote it; null when `dag_run` is not readable. */
  readonly runType: string | null;
  /** The run's due instant (see RunAfterSource); null when `dag_run` is not readable. */
  readonly runAfterMs: number | null;
  /** Hash of dag_id + task_id (task ids repeat across DAGs). */
  readonly taskHash: string;
  readonly tryNumber: number | null;
  readonly state: string | null;
  readonly segment: TaskSegment;
}

/** What this metastore's schema and grants let the export know. */
export interface HistorySchema {
  /** `task_instance.executor` exists (Airflow ≥ 2.10): executor filtering is possible. */
  readonly executor: boolean;
  /** How reschedules are read; null when `task_reschedule` is missing or not readable. */
  readonly reschedule: RescheduleKey;
  /** Where a run's due instant comes from; null when `dag_run` is missing or not readable. */
  readonly runAfter: RunAfterSource;
}

interface HistoryRecord {
  queue: string | null;
  queued_dttm: Date;
  start_date: Date;
  end_date: Date;
  dag_id: string;
  task_id: string;
  run_id: string;
  try_number: number | null;
  state: string | null;
  poke_starts: Date[] | null;
  poke_ends: Date[] | null;
  poke_reschedules: Date[] | null;
  run_type: string | null;
  run_after: Date | null;
}

function hasher(key: Buffer): (text: string) => string {
  return (text) => createHmac('sha256', key).update(text).digest('hex').slice(0, 16);
}

const seconds = (fromMs: number, toMs: number): number => Math.max(0, (toMs - fromMs) / 1000);

/**
 * A task instance's slot occupations. Airflow keeps a rescheduled sensor's first start as its
 * start_date, and a resumed deferred task's original one (`_check_and_change_state_before_execution`,
 * airflow/models/taskinstance.py), so end_date − start_date also counts the time it held no slot.
 * Pokes come from task_reschedule; a deferral shows as a queueing after the start.
 */
export function segmentsOf(record: HistoryRecord): { queuedAtMs: number; durationSeconds: number; segment: TaskSegment }[] {
  const queued = record.queued_dttm.getTime();
  const start = record.start_date.getTime();
  const end = record.end_date.getTime();
  const starts = record.poke_starts ?? [];
  const ends = record.poke_ends ?? [];
  const reschedules = record.poke_reschedules ?? [];
  if (starts.length > 0 && starts.length === ends.length && starts.length === reschedules.length) {
    const pokes = starts.map((s, i) => {
      const pokeStart = s.getTime();
      // Due again at the previous poke's reschedule_date; the first poke's queueing is not kept.
      const due = i === 0 ? pokeStart : Math.min(pokeStart, (reschedules[i - 1] as Date).getTime());
      return { queuedAtMs: due, durationSeconds: seconds(pokeStart, (ends[i] as Date).getTime()), segment: 'poke' as const };
    });
    const lastDue = Math.max(queued, (reschedules[reschedules.length - 1] as Date).getTime());
    return [...pokes, { queuedAtMs: Math.min(lastDue, end), durationSeconds: seconds(lastDue, end), segment: 'final-poke' }];
  }
  if (queued > start) {
    return [
      { queuedAtMs: start, durationSeconds: 0, segment: 'deferred' },
      { queuedAtMs: queued, durationSeconds: seconds(queued, end), segment: 'resumed' },
    ];
  }
  return [{ queuedAtMs: queued, durationSeconds: seconds(start, end), segment: 'whole' }];
}

/** An open, read-only read of the task history: the connection works and the cursor exists. */
export interface TaskHistory {
  readonly schema: HistorySchema;
  /** Batches of exported rows until the window is read. */
  batches(): AsyncGenerator<ExportedTask[]>;
  /** Ends the transaction and the connection (committed after a full read, rolled back otherwise). */
  close(): Promise<void>;
}

async function readSchema(client: pg.Client): Promise<HistorySchema> {
  const result = await client.query<{ table_name: string; column_name: string; readable: boolean }>(TASK_HISTORY_SCHEMA);
  const has = (table: string, column: string): boolean => result.rows.some((r) => r.table_name === table && r.column_name === column);
  const readable = result.rows.some((r) => r.table_name === 'task_reschedule' && r.readable);
  const runsReadable = result.rows.some((r) => r.table_name === 'dag_run' && r.readable) && has('dag_run', 'run_type');
  const runAfter: RunAfterSource = !runsReadable
    ? null
    : has('dag_run', 'run_after')
      ? 'run_after'
      : has('dag_run', 'data_interval_end') && has('dag_run', 'execution_date')
        ? 'data_interval_end'
        : null;
  const reschedule: RescheduleKey = !readable
    ? null
    : has('task_reschedule', 'ti_id') && has('task_instance', 'id')
      ? 'ti_id'
      : has('task_reschedule', 'run_id')
        ? 'composite'
        : null;
  return { executor: has('task_instance', 'executor'), reschedule, runAfter };
}

/**
 * Opens the history read, read-only and PgBouncer-safe: one connection, one `BEGIN READ ONLY`
 * transaction, unnamed parameterised statements, the time bound set transaction-locally, and a
 * cursor that dies with the transaction. Resolves only once all of that worked, so a caller can
 * write nothing until the metastore answers. Rows with a NULL queue get Airflow's default queue.
 */
export async function openTaskHistory(metastore: MetastoreConfig, window: TaskHistoryWindow): Promise<TaskHistory> {
  const settings = pgClientSettings(metastore, window.statementTimeoutMs);
  const client = new pg.Client(settings.pool);
  client.on('error', () => undefined); // surfaced by the failing query instead
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw failure(metastore, 'cannot connect to the metastore', err);
  }
  let inTransaction = false;
  let schema: HistorySchema;
  try {
    await client.query('BEGIN READ ONLY');
    inTransaction = true;
    await client.query(SET_LOCAL_STATEMENT_TIMEOUT, [`${window.statementTimeoutMs}ms`]);
    schema = await readSchema(client);
    const params: unknown[] = [window.since, window.until, window.queues === null ? null : [...window.queues]];
    if (schema.executor) params.push(window.executors === null ? null : [...window.executors.names], window.executors?.includeDefault ?? true);
    await client.query(declareTaskHistoryCursor(schema), params);
  } catch (err) {
    if (inTransaction) await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
    throw failure(metastore, 'the task history query failed', err);
  }
  const hash = hasher(window.hashKey);
  let done = false;
  let closed = false;
  return {
    schema,
    async *batches(): AsyncGenerator<ExportedTask[]> {
      try {
        for (;;) {
          const result = await client.query<HistoryRecord>(FETCH_TASK_HISTORY);
          if (result.rows.length === 0) break;
          yield result.rows.flatMap((row) => {
            const common = {
              queue: row.queue ?? 'default',
              dagHash: hash(row.dag_id),
              runHash: hash(`run\u0000${row.dag_id}\u0000${row.run_id}`),
              runType: row.run_type,
              runAfterMs: row.run_after === null ? null : row.run_after.getTime(),
              taskHash: hash(`${row.dag_id}\u0000${row.task_id}`),
              tryNumber: row.try_number,
              state: row.state,
            };
            return segmentsOf(row).map((s) => ({ ...common, ...s }));
          });
        }
        await client.query(CLOSE_TASK_HISTORY_CURSOR);
        await client.query('COMMIT');
        done = true;
      } catch (err) {
        throw failure(metastore, 'the task history query failed', err);
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (!done) await client.query('ROLLBACK').catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}

/** Every batch of the window, then closed: `openTaskHistory` for callers that read it all. */
export async function* readTaskHistory(metastore: MetastoreConfig, window: TaskHistoryWindow): AsyncGenerator<ExportedTask[]> {
  const history = await openTaskHistory(metastore, window);
  try {
    yield* history.batches();
  } finally {
    await history.close();
  }
}

function failure(metastore: MetastoreConfig, what: string, err: unknown): ScalerError {
  const cause = coerceError(err);
  const code = (cause as { code?: unknown }).code;
  const detail = typeof code === 'string' ? `${cause.message} (SQLSTATE ${code})` : cause.message;
  return new ScalerError(ErrorCode.MetastoreQueryFailed, `metastore "${metastore.name}": ${what}: ${detail}`, { cause });
}
