import pg from 'pg';

import type { MetastoreConfig } from '../core/config.js';
import { ErrorCode, ScalerError, coerceError } from '../core/errors.js';
import type { Logger, TaskCountReader } from '../core/ports.js';
import type { CountedState, Snapshot, TaskCountRow } from '../core/snapshot.js';
import { COUNTED_STATES } from '../core/snapshot.js';
import { pgClientSettings } from './client-config.js';
import {
  COUNT_BY_QUEUE_EXECUTOR_STATE,
  COUNT_BY_QUEUE_STATE,
  SET_LOCAL_STATEMENT_TIMEOUT,
  UNDEFINED_COLUMN,
} from './queries.js';

interface CountRecord {
  queue: string | null;
  executor: string | null;
  state: string;
  hostname: string | null;
  count: string;
}

// After this many reads without an executor column, look again: Airflow may have been upgraded.
const REPROBE_EXECUTOR_COLUMN_EVERY = 300;

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
  return { queue: record.queue, executor: record.executor, state, hostname, count: Number(record.count) };
}

/** Rows that differed only by a hostname we dropped are one row again. */
function toRows(records: readonly CountRecord[]): TaskCountRow[] {
  const merged = new Map<string, TaskCountRow>();
  for (const record of records) {
    const row = toRow(record);
    const key = JSON.stringify([row.queue, row.executor, row.state, row.hostname]);
    const seen = merged.get(key);
    merged.set(key, seen === undefined ? row : { ...seen, count: seen.count + row.count });
  }
  return [...merged.values()];
}

/** Reads task counts from one Airflow metastore through a tiny pg pool (1–2 connections). */
export class PgTaskCountReader implements TaskCountReader {
  readonly metastore: string;
  private readonly pool: pg.Pool;
  private readonly statementTimeout: string;
  private hasExecutorColumn = true;
  private readsSinceProbe = 0;

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

  async read(startedAtMs: number): Promise<Snapshot> {
    if (!this.hasExecutorColumn && ++this.readsSinceProbe >= REPROBE_EXECUTOR_COLUMN_EVERY) {
      this.hasExecutorColumn = true;
    }
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.failure('cannot connect to the metastore', err);
    }
    let broken: Error | undefined;
    try {
      const rows = await this.countAll(client);
      return { metastore: this.metastore, takenAtMs: startedAtMs, hasExecutorColumn: this.hasExecutorColumn, rows };
    } catch (err) {
      broken = coerceError(err);
      throw err instanceof ScalerError ? err : this.failure('the tick query failed', err);
    } finally {
      // A connection that failed mid-transaction is discarded rather than handed back dirty.
      client.release(broken);
    }
  }

  private async countInTransaction(client: pg.PoolClient, sql: string): Promise<TaskCountRow[]> {
    await client.query('BEGIN READ ONLY');
    try {
      await client.query(SET_LOCAL_STATEMENT_TIMEOUT, [this.statementTimeout]);
      const result = await client.query<CountRecord>(sql, [[...COUNTED_STATES]]);
      await client.query('COMMIT');
      return toRows(result.rows);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** Uses the executor-aware query, and falls back for good (until the next probe) on Airflow < 2.10. */
  private async countAll(client: pg.PoolClient): Promise<TaskCountRow[]> {
    if (!this.hasExecutorColumn) return this.countInTransaction(client, COUNT_BY_QUEUE_STATE);
    try {
      return await this.countInTransaction(client, COUNT_BY_QUEUE_EXECUTOR_STATE);
    } catch (err) {
      if ((err as { code?: unknown }).code !== UNDEFINED_COLUMN) throw err;
      this.hasExecutorColumn = false;
      this.readsSinceProbe = 0;
      return this.countInTransaction(client, COUNT_BY_QUEUE_STATE);
    }
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
