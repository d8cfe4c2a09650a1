import pg from 'pg';

import type { MetastoreConfig } from '../core/config.js';
import { ErrorCode, ScalerError, coerceError } from '../core/errors.js';
import type { DueWindow, Logger, TaskCountReader } from '../core/ports.js';
import type { CountedState, Snapshot, TaskCountRow } from '../core/snapshot.js';
import { COUNTED_STATES } from '../core/snapshot.js';
import { pgClientSettings } from './client-config.js';
import type { ForecastInput, RunWave } from '../core/prewarm.js';
import { FIRST_WAVE_SECONDS } from '../core/prewarm.js';
import { readAirflowShape, readDueDags, readFirstWaves } from './forecast-reads.js';
import type { AirflowShape } from './queries.js';
import {
  COUNT_BY_QUEUE_EXECUTOR_STATE,
  COUNT_BY_QUEUE_STATE,
  RELEASE_FORECAST,
  ROLLBACK_TO_FORECAST,
  SAVEPOINT_FORECAST,
  SET_LOCAL_STATEMENT_TIMEOUT,
  UNDEFINED_COLUMN,
  UNDEFINED_TABLE,
} from './queries.js';

interface CountRecord {
  queue: string | null;
  executor: string | null;
  state: string;
  hostname: string | null;
  count: string;
  /** numeric, as text; null for running rows and for queued rows without queued_dttm. */
  oldest_queued_age: string | null;
}

// After this many reads without an executor column, look again: Airflow may have been upgraded.
const REPROBE_EXECUTOR_COLUMN_EVERY = 300;
// While dag/dag_run cannot be read, look again this often: a GRANT needs no restart.
const REPROBE_SHAPE_EVERY = 60;
// The due-DAG query rides the tick; it may not hold the tick up for long.
const FORECAST_STATEMENT_TIMEOUT_MS = 250;

function describePgError(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? `${err.message} (SQLSTATE ${code})` : err.message;
}

function toRow(record: CountRecord): TaskCountRow {
  if (!(COUNTED_STATES as readonly string[]).includes(record.state)) {
    throw new ScalerError(ErrorCode.MetastoreQueryFailed, `unexpected state ${JSON.stringify(record.state)} in result`);
  }
  const state = record.state as CountedState;
  // A queued row's hostname is a previous try's: no worker holds it now.
  const hostname = state === 'running' && record.hostname !== '' ? record.hostname : null;
  const row = { queue: record.queue, executor: record.executor, state, hostname, count: Number(record.count) };
  if (state === 'running') return row;
  // A clock step on the database can make now() - queued_dttm negative; a wait is never negative.
  const age = record.oldest_queued_age === null ? null : Math.max(0, Number(record.oldest_queued_age));
  return { ...row, oldestQueuedAgeSeconds: age };
}

function olderOf(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined) return b ?? null;
  if (b === null || b === undefined) return a;
  return Math.max(a, b);
}

/** Rows that differed only by a hostname we dropped are one row again. */
function toRows(records: readonly CountRecord[]): TaskCountRow[] {
  const merged = new Map<string, TaskCountRow>();
  for (const record of records) {
    const row = toRow(record);
    const key = JSON.stringify([row.queue, row.executor, row.state, row.hostname]);
    const seen = merged.get(key);
    if (seen === undefined) {
      merged.set(key, row);
    } else if (row.state === 'queued') {
      merged.set(key, { ...seen, count: seen.count + row.count, oldestQueuedAgeSeconds: olderOf(seen.oldestQueuedAgeSeconds, row.oldestQueuedAgeSeconds) });
    } else {
      merged.set(key, { ...seen, count: seen.count + row.count });
    }
  }
  return [...merged.values()];
}

interface TickRead {
  readonly rows: TaskCountRow[];
  readonly forecast: ForecastInput | undefined;
}

/** Reads task counts from one Airflow metastore through a tiny pg pool (1–2 connections). */
export class PgTaskCountReader implements TaskCountReader {
  readonly metastore: string;
  private readonly pool: pg.Pool;
  private readonly statementTimeout: string;
  private hasExecutorColumn = true;
  private readsSinceProbe = 0;
  /** undefined: not looked at yet; null: dag/dag_run not readable. */
  private shape: AirflowShape | null | undefined;
  private readsSinceShapeProbe = 0;

  /** `logger` is bound to the metastore's name by the caller. */
  constructor(config: MetastoreConfig, queryTimeoutMs: number, logger: Logger) {
    this.metastore = config.name;
    this.statementTimeout = `${queryTimeoutMs}ms`;
    const settings = pgClientSettings(config, queryTimeoutMs);
    if (settings.ignoredParams.length > 0) {
      logger.warn(
        { ignoredParams: settings.ignoredParams },
        'ignoring metastore URL parameters that PgBouncer would reject as startup parameters',
      );
    }
    this.pool = new pg.Pool(settings.pool);
    // Without these, an idle client dropped by PgBouncer or RDS emits 'error' with no listener
    // and takes the whole process down.
    this.pool.on('error', (err) => {
      logger.warn({ err }, 'idle metastore connection failed');
    });
    this.pool.on('connect', (client) => {
      client.on('error', (err) => {
        logger.debug({ err }, 'metastore connection error');
      });
    });
  }

  async read(startedAtMs: number, dueWindow?: DueWindow): Promise<Snapshot> {
    if (!this.hasExecutorColumn && ++this.readsSinceProbe >= REPROBE_EXECUTOR_COLUMN_EVERY) {
      this.hasExecutorColumn = true;
    }
    const { rows, forecast } = await this.withClient('the tick query failed', (client) => this.countAll(client, dueWindow));
    return {
      metastore: this.metastore,
      takenAtMs: startedAtMs,
      hasExecutorColumn: this.hasExecutorColumn,
      rows,
      ...(forecast === undefined ? {} : { forecast }),
    };
  }

  /** Runs `work` on a pooled connection; a connection that failed is discarded, never handed back dirty. */
  private async withClient<T>(what: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.failure('cannot connect to the metastore', err);
    }
    let broken: Error | undefined;
    try {
      return await work(client);
    } catch (err) {
      broken = coerceError(err);
      throw err instanceof ScalerError ? err : this.failure(what, err);
    } finally {
      client.release(broken);
    }
  }

  private async countInTransaction(client: pg.PoolClient, sql: string, dueWindow: DueWindow | undefined): Promise<TickRead> {
    await client.query('BEGIN READ ONLY');
    try {
      await client.query(SET_LOCAL_STATEMENT_TIMEOUT, [this.statementTimeout]);
      const result = await client.query<CountRecord>(sql, [[...COUNTED_STATES]]);
      const forecast = dueWindow === undefined ? undefined : await this.dueDagsInSavepoint(client, dueWindow);
      await client.query('COMMIT');
      return { rows: toRows(result.rows), forecast };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** Uses the executor-aware query, and falls back for good (until the next probe) on Airflow < 2.10. */
  private async countAll(client: pg.PoolClient, dueWindow: DueWindow | undefined): Promise<TickRead> {
    if (!this.hasExecutorColumn) return this.countInTransaction(client, COUNT_BY_QUEUE_STATE, dueWindow);
    try {
      return await this.countInTransaction(client, COUNT_BY_QUEUE_EXECUTOR_STATE, dueWindow);
    } catch (err) {
      if ((err as { code?: unknown }).code !== UNDEFINED_COLUMN) throw err;
      this.hasExecutorColumn = false;
      this.readsSinceProbe = 0;
      return this.countInTransaction(client, COUNT_BY_QUEUE_STATE, dueWindow);
    }
  }

  /**
   * The due DAGs, in a savepoint of the tick's transaction under a short time bound: a failure
   * (no grant on dag, a lock, a timeout) is rolled back to the savepoint and reported in the
   * snapshot, and the counts read before it stand. Pre-warming can never cost the reactive answer.
   */
  private async dueDagsInSavepoint(client: pg.PoolClient, window: DueWindow): Promise<ForecastInput> {
    await client.query(SAVEPOINT_FORECAST);
    try {
      await client.query(SET_LOCAL_STATEMENT_TIMEOUT, [`${FORECAST_STATEMENT_TIMEOUT_MS}ms`]);
      if (this.shape === undefined || (this.shape === null && ++this.readsSinceShapeProbe >= REPROBE_SHAPE_EVERY)) {
        this.shape = await readAirflowShape(client);
        this.readsSinceShapeProbe = 0;
      }
      const shape = this.shape;
      if (shape === null) {
        await client.query(RELEASE_FORECAST);
        return { available: false, reason: 'dag and dag_run cannot be read (grant SELECT on both to the scaler role)' };
      }
      const dueDags = await readDueDags(client, shape, window);
      await client.query(RELEASE_FORECAST);
      return { available: true, dueDags, history: new Map() };
    } catch (err) {
      await client.query(ROLLBACK_TO_FORECAST);
      this.forgetShapeOnSchemaChange(err);
      return { available: false, reason: `the due-DAG query failed: ${describePgError(coerceError(err))}` };
    }
  }

  /**
   * The first waves of each DAG's last `runs` scheduled runs (core/prewarm.ts), in a read-only
   * transaction of its own: read when DAGs become due, never on the tick.
   */
  async readFirstWaves(dagIds: readonly string[], runs: number): Promise<Map<string, RunWave[]>> {
    const shape = this.shape;
    if (shape === null || shape === undefined) throw new ScalerError(ErrorCode.MetastoreQueryFailed, `metastore "${this.metastore}": dag_run cannot be read`);
    return this.withClient('the run history query failed', async (client) => {
      await client.query('BEGIN READ ONLY');
      try {
        await client.query(SET_LOCAL_STATEMENT_TIMEOUT, [this.statementTimeout]);
        const waves = await readFirstWaves(client, shape, this.hasExecutorColumn, dagIds, runs, FIRST_WAVE_SECONDS);
        await client.query('COMMIT');
        return waves;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        this.forgetShapeOnSchemaChange(err);
        throw err;
      }
    });
  }

  /** After Airflow's migrations renamed or dropped what the shape said: probe it again next tick. */
  private forgetShapeOnSchemaChange(err: unknown): void {
    const code = (err as { code?: unknown }).code;
    if (code === UNDEFINED_COLUMN || code === UNDEFINED_TABLE) this.shape = undefined;
  }

  private failure(what: string, err: unknown): ScalerError {
    const cause = coerceError(err);
    return new ScalerError(ErrorCode.MetastoreQueryFailed, `metastore "${this.metastore}": ${what}: ${describePgError(cause)}`, {
      cause,
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
