import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';

import { parseConfig } from '../../../src/core/config.js';
import { ErrorCode, ScalerError } from '../../../src/core/errors.js';
import type { Logger } from '../../../src/core/ports.js';
import type { TaskCountRow } from '../../../src/core/snapshot.js';
import { COUNT_BY_QUEUE_EXECUTOR_STATE, COUNT_BY_QUEUE_STATE } from '../../../src/metastore/queries.js';
import { PgTaskCountReader } from '../../../src/metastore/task-count-reader.js';
import type { AirflowSchema, AirflowTestDb } from '../../support/airflow-db.js';
import { createAirflowDb } from '../../support/airflow-db.js';

const servers = inject('servers');

const warnings: string[] = [];
const logger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (_fields, message) => warnings.push(message),
  error: () => undefined,
  child: () => logger,
};

function readerFor(url: string, queryTimeoutMs = 2_000): PgTaskCountReader {
  const [metastore] = parseConfig({ file: { metastores: { default: { url } } }, env: {} }).metastores;
  if (metastore === undefined) throw new Error('no metastore');
  return new PgTaskCountReader(metastore, queryTimeoutMs, logger);
}

function sorted(rows: readonly TaskCountRow[]): TaskCountRow[] {
  return [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

const MIXED_STATES = [
  { state: 'queued', queue: 'default' },
  { state: 'queued', queue: 'default' },
  { state: 'running', queue: 'default', hostname: 'airflow-worker-abc' },
  { state: 'running', queue: 'high', executor: 'CeleryExecutor' },
  { state: 'queued', queue: 'kubernetes', executor: 'KubernetesExecutor' },
  // None of these hold or wait for a Celery slot.
  { state: 'deferred', queue: 'default' },
  { state: 'scheduled', queue: 'default' },
  { state: 'up_for_reschedule', queue: 'default' },
  { state: 'up_for_retry', queue: 'default' },
  { state: 'success', queue: 'default' },
  { state: 'failed', queue: 'default' },
  { state: null, queue: 'default' },
] as const;

describe.each<AirflowSchema>(['3', '2.10'])('PgTaskCountReader through PgBouncer (Airflow %s schema)', (schema) => {
  let db: AirflowTestDb;
  let reader: PgTaskCountReader;

  beforeAll(async () => {
    db = await createAirflowDb(servers, schema);
    reader = readerFor(db.bouncerUrl());
  });
  afterAll(async () => {
    await reader.close();
    await db.drop();
  });
  afterEach(async () => db.clear());

  it('counts queued and running tasks by queue, executor and state in one read', async () => {
    await db.insert(MIXED_STATES);
    const snapshot = await reader.read(1234);
    expect(snapshot.takenAtMs).toBe(1234);
    expect(snapshot.hasExecutorColumn).toBe(true);
    expect(sorted(snapshot.rows)).toEqual(
      sorted([
        { queue: 'default', executor: null, state: 'queued', hostname: null, count: 2, oldestQueuedAgeSeconds: null },
        { queue: 'default', executor: null, state: 'running', hostname: 'airflow-worker-abc', count: 1 },
        { queue: 'high', executor: 'CeleryExecutor', state: 'running', hostname: null, count: 1 },
        { queue: 'kubernetes', executor: 'KubernetesExecutor', state: 'queued', hostname: null, count: 1, oldestQueuedAgeSeconds: null },
      ]),
    );
  });

  it('splits running tasks by worker hostname and keeps queued tasks one row per queue', async () => {
    await db.insert([
      { state: 'running', queue: 'default', hostname: 'airflow-worker-7d9f-abcde' },
      { state: 'running', queue: 'default', hostname: 'airflow-worker-7d9f-abcde' },
      { state: 'running', queue: 'default', hostname: 'airflow-worker-7d9f-fghij.airflow-worker.airflow.svc.cluster.local' },
      { state: 'running', queue: 'default', hostname: '' },
      { state: 'queued', queue: 'default', hostname: 'stale-host-from-a-previous-try' },
      { state: 'queued', queue: 'default' },
    ]);
    const snapshot = await reader.read(0);
    expect(sorted(snapshot.rows)).toEqual(
      sorted([
        { queue: 'default', executor: null, state: 'queued', hostname: null, count: 2, oldestQueuedAgeSeconds: null },
        { queue: 'default', executor: null, state: 'running', hostname: null, count: 1 },
        { queue: 'default', executor: null, state: 'running', hostname: 'airflow-worker-7d9f-abcde', count: 2 },
        {
          queue: 'default',
          executor: null,
          state: 'running',
          hostname: 'airflow-worker-7d9f-fghij.airflow-worker.airflow.svc.cluster.local',
          count: 1,
        },
      ]),
    );
  });

  it('reports the age of the oldest queued task per row by the database clock, the oldest of merged rows, none for running rows', async () => {
    await db.insert([
      { state: 'queued', queue: 'default', queuedSecondsAgo: 90 },
      { state: 'queued', queue: 'default', hostname: 'stale-host', queuedSecondsAgo: 300 },
      { state: 'queued', queue: 'default', queuedSecondsAgo: 5 },
      { state: 'queued', queue: 'high' },
      { state: 'running', queue: 'default', hostname: 'w-1', queuedSecondsAgo: 9_999 },
    ]);
    const rows = (await reader.read(0)).rows;
    const age = (queue: string) => rows.find((row) => row.queue === queue && row.state === 'queued')?.oldestQueuedAgeSeconds;
    // Rows split by a previous try's hostname are one row again, aged by its oldest task.
    expect(rows.filter((row) => row.queue === 'default' && row.state === 'queued')).toHaveLength(1);
    expect(age('default')).toBeGreaterThanOrEqual(300);
    expect(age('default')).toBeLessThan(330);
    expect(age('high')).toBeNull();
    expect(rows.find((row) => row.state === 'running')?.oldestQueuedAgeSeconds).toBeUndefined();
  });

  it('sends one unnamed, parameterised statement to task_instance per tick, inside one read-only transaction', async () => {
    await reader.read(0); // the pool's connection is open; the executor column is known
    const sent: { text: string; named: boolean; values: number }[] = [];
    const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const original = prototype.query;
    const spy = function (this: pg.Client, ...args: unknown[]): unknown {
      const [first, second] = args;
      const config = typeof first === 'string' ? { text: first, values: second } : (first as { text: string; name?: string; values?: unknown[] });
      sent.push({ text: config.text, named: 'name' in config && config.name !== undefined, values: Array.isArray(config.values) ? config.values.length : 0 });
      return original.apply(this, args);
    };
    prototype.query = spy;
    try {
      await reader.read(1);
    } finally {
      prototype.query = original;
    }
    expect(sent.map((s) => s.text)).toEqual(['BEGIN READ ONLY', expect.stringContaining('set_config'), COUNT_BY_QUEUE_EXECUTOR_STATE, 'COMMIT']);
    expect(sent.filter((s) => s.text.includes('task_instance'))).toEqual([{ text: COUNT_BY_QUEUE_EXECUTOR_STATE, named: false, values: 1 }]);
  });

  it('returns no rows, not an error, for an idle metastore', async () => {
    const snapshot = await reader.read(0);
    expect(snapshot.rows).toEqual([]);
  });
});

describe('PgTaskCountReader on Airflow before 2.10 (no executor column)', () => {
  let db: AirflowTestDb;
  beforeAll(async () => {
    db = await createAirflowDb(servers, 'pre-2.10');
  });
  afterAll(async () => db.drop());

  it('falls back to counting without the executor and says so in the snapshot', async () => {
    await db.insert([{ state: 'queued' }, { state: 'running' }, { state: 'running' }]);
    const reader = readerFor(db.bouncerUrl());
    try {
      const snapshot = await reader.read(0);
      expect(snapshot.hasExecutorColumn).toBe(false);
      expect(sorted(snapshot.rows)).toEqual(
        sorted([
          { queue: 'default', executor: null, state: 'queued', hostname: null, count: 1, oldestQueuedAgeSeconds: null },
          { queue: 'default', executor: null, state: 'running', hostname: null, count: 2 },
        ]),
      );
      // The second read goes straight to the legacy query and still works.
      expect((await reader.read(1)).hasExecutorColumn).toBe(false);
    } finally {
      await reader.close();
    }
  });
});

describe('PgTaskCountReader safety', () => {
  let db: AirflowTestDb;
  beforeAll(async () => {
    db = await createAirflowDb(servers, '3');
    await db.insert([{ state: 'queued' }, { state: 'running', queue: 'high' }]);
  });
  afterAll(async () => db.drop());

  it('works as a role that may only SELECT from task_instance', async () => {
    const reader = readerFor(db.bouncerUrl('scaler_ro'));
    try {
      const snapshot = await reader.read(0);
      expect(snapshot.rows.reduce((sum, row) => sum + row.count, 0)).toBe(2);
    } finally {
      await reader.close();
    }
    // The role really is that narrow: anything else is refused.
    const probe = new pg.Client({ connectionString: db.bouncerUrl('scaler_ro') });
    await probe.connect();
    try {
      await expect(probe.query("UPDATE task_instance SET state = 'failed'")).rejects.toThrow(/permission denied/);
    } finally {
      await probe.end();
    }
  });

  it('reports a missing privilege as a query failure naming the SQLSTATE', async () => {
    await db.admin.query('REVOKE SELECT ON task_instance FROM scaler_ro');
    const reader = readerFor(db.bouncerUrl('scaler_ro'));
    try {
      const error = await reader.read(0).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(ScalerError);
      expect((error as ScalerError).code).toBe(ErrorCode.MetastoreQueryFailed);
      expect((error as ScalerError).message).toMatch(/permission denied.*SQLSTATE 42501/);
    } finally {
      await reader.close();
      await db.admin.query('GRANT SELECT ON task_instance TO scaler_ro');
    }
  });

  it('bounds a blocked query with a transaction-local statement_timeout and recovers after', async () => {
    const reader = readerFor(db.bouncerUrl(), 300);
    const locker = new pg.Client({ connectionString: db.bouncerUrl() });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE task_instance IN ACCESS EXCLUSIVE MODE');
      const error = await reader.read(0).catch((err: unknown) => err);
      expect((error as ScalerError).code).toBe(ErrorCode.MetastoreQueryFailed);
      // PostgreSQL's own cancellation (57014), not the client-side backstop, ended the wait.
      expect((error as ScalerError).message).toMatch(/statement timeout.*57014/);
      await locker.query('ROLLBACK');
      expect((await reader.read(1)).rows.length).toBe(2);
    } finally {
      await locker.end();
      await reader.close();
    }
  });

  it('leaves no session state behind on the shared server connection', async () => {
    const reader = readerFor(db.bouncerUrl(), 777);
    const other = new pg.Client({ connectionString: db.bouncerUrl() });
    await other.connect();
    try {
      for (let i = 0; i < 5; i += 1) await reader.read(i);
      // Whatever server connection PgBouncer hands out next, the timeout was transaction-local.
      for (let i = 0; i < 8; i += 1) {
        const { rows } = await other.query<{ statement_timeout: string }>('SHOW statement_timeout');
        expect(rows[0]?.statement_timeout).toBe('0');
      }
    } finally {
      await other.end();
      await reader.close();
    }
  });

  it('uses Airflow\'s ti_state index for the tick query on a large table', async () => {
    await db.admin.query(`INSERT INTO task_instance (id, dag_id, task_id, run_id, state, pool, pool_slots, queue)
      SELECT gen_random_uuid(), 'history', 't' || i, 'r' || i, 'success', 'default_pool', 1, 'default'
      FROM generate_series(1, 50000) AS i`);
    await db.admin.query('ANALYZE task_instance');
    // Both forms of the tick query, with the oldest queued age: still answered from ti_state.
    for (const sql of [COUNT_BY_QUEUE_EXECUTOR_STATE, COUNT_BY_QUEUE_STATE]) {
      const { rows } = await db.admin.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, [['queued', 'running']]);
      const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
      expect(plan, sql).toMatch(/Index.*ti_state|Bitmap Index Scan on ti_state/);
      expect(plan, sql).not.toMatch(/Seq Scan/);
    }
  });
});
