
import { parseConfig } from '../../src/core/config.js';
import { DAG_TABLES_DDL_AIRFLOW_3 } from '../../src/demo/airflow-schema.js';
import { dueDagsQuery, firstWavesQuery } from '../../src/metastore/queries.js';
import { PgTaskCountReader } from '../../src/metastore/task-count-reader.js';
import { quietLogger } from '../support/quiet-logger.js';
import type { BenchEnvironment } from './environment.js';
import type { Figures } from './figures.js';
import { round, summarize } from './figures.js';
import { withPgClient } from '../support/pg-client.js';

const DAGS = 10_000;
/** The bench metastore's task_instance holds runs run_0… of dag_0…dag_999, 20 tasks each. */
const DAGS_WITH_HISTORY = 1_000;
const SHAPE = { live: 'is_stale', runDate: 'logical_date' } as const;
const LEAD_MS = 120_000;


/**
 * Adds Airflow 3's `dag` and `dag_run` to the bench metastore once: 10,000 DAGs due over the next
 * day (a tenth paused, stale or without a timetable), and for the first 1,000 a scheduled run per
 * run of task_instance (plus a manual one every tenth), so history reads join real rows.
 */
async function ensureDagTables(directUrl: string, log: (line: string) => void): Promise<void> {
  await withPgClient(directUrl, async (c) => {
    if ((await c.query("SELECT 1 FROM pg_tables WHERE tablename = 'dag'")).rowCount === 1) return;
    log('adding dag and dag_run (10,000 DAGs) to the bench metastore…');
    const runs = (await c.query<{ n: number }>("SELECT count(DISTINCT run_id)::int AS n FROM task_instance WHERE run_id LIKE 'run_%'")).rows[0]?.n ?? 0;
    await c.query(DAG_TABLES_DDL_AIRFLOW_3);
    await c.query(`INSERT INTO dag (dag_id, is_paused, is_stale, has_import_errors, max_active_tasks, next_dagrun_create_after)
      SELECT 'dag_' || i, i % 10 = 1, i % 10 = 2, i % 10 = 3, 16,
             CASE WHEN i % 10 = 4 THEN NULL ELSE now() + (i * interval '1 day' / $1::int) END
      FROM generate_series(0, $1::int - 1) AS i`, [DAGS]);
    await c.query(`INSERT INTO dag_run (dag_id, run_id, run_type, state, logical_date, start_date, run_after)
      SELECT 'dag_' || d, 'run_' || r, CASE WHEN r % 10 = 9 THEN 'manual' ELSE 'scheduled' END, 'success', t, t, t
      FROM generate_series(0, $1::int - 1) AS d, generate_series(0, $2::int - 1) AS r,
           LATERAL (SELECT now() - interval '120 days' + (r * interval '120 days' / greatest($2::int, 1)) + d * interval '1 second' AS t) AS x`, [DAGS_WITH_HISTORY, runs]);
    await c.query('VACUUM ANALYZE dag');
    await c.query('VACUUM ANALYZE dag_run');
    await c.query('GRANT SELECT ON dag, dag_run TO scaler_ro');
  });
}

async function plan(directUrl: string, sql: string, values: unknown[]): Promise<string> {
  return withPgClient(directUrl, async (c) => (await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, values)).rows.map((row) => row['QUERY PLAN']).join('\n'));
}

/**
 * Pre-warming's reads at metastore size, through PgBouncer: the tick with the due-DAG query (in
 * its savepoint) next to the tick without it, alternating, so the difference is the tick's added
 * cost; and the run-history read for a batch of due DAGs.
 */
export async function benchPrewarm(env: BenchEnvironment, iterations: number, log: (line: string) => void): Promise<Figures> {
  await ensureDagTables(env.directUrl, log);
  const [metastore] = parseConfig({ file: { metastores: { default: { url: env.oursUrl } } }, env: {} }).metastores;
  if (metastore === undefined) throw new Error('no metastore');
  const reader = new PgTaskCountReader(metastore, 2_000, quietLogger);
  const window = (): { fromMs: number; toMs: number; limit: number } => ({ fromMs: Date.now() - LEAD_MS, toMs: Date.now() + LEAD_MS, limit: 1_000 });
  const plain: number[] = [];
  const withDue: number[] = [];
  const history: number[] = [];
  let due = 0;
  try {
    for (let i = 0; i < 20; i += 1) {
      await reader.read(0);
      await reader.read(0, window());
    }
    for (let i = 0; i < iterations; i += 1) {
      let started = performance.now();
      await reader.read(0);
      plain.push(performance.now() - started);
      started = performance.now();
      const snapshot = await reader.read(0, window());
      withDue.push(performance.now() - started);
      if (snapshot.forecast?.available !== true) throw new Error('the due-DAG query failed in the bench');
      due = snapshot.forecast.dueDags.length;
    }
    const batch = Array.from({ length: 20 }, (_, i) => `dag_${(i * 37) % DAGS_WITH_HISTORY}`);
    for (let i = 0; i < Math.max(20, Math.floor(iterations / 10)); i += 1) {
      const started = performance.now();
      await reader.readFirstWaves(batch, 5);
      history.push(performance.now() - started);
    }
  } finally {
    await reader.close();
  }
  const duePlan = await plan(env.directUrl, dueDagsQuery(SHAPE), [new Date(Date.now() - LEAD_MS), new Date(Date.now() + LEAD_MS), 1_000]);
  const historyPlan = await plan(env.directUrl, firstWavesQuery(SHAPE, true), [['dag_1', 'dag_2'], 5, 120]);
  const p = summarize(plain);
  const d = summarize(withDue);
  const h = summarize(history);
  const rows = `${env.rows.toLocaleString('en-US')} task_instance rows, ${DAGS.toLocaleString('en-US')} DAGs`;
  return {
    'tick with the due-DAG query p50 (vs the tick without it)': { value: round(d.p50), unit: 'ms', baseline: round(p.p50), note: `${rows}; ${due} due within ±120 s; alternating, ${iterations} each` },
    'tick with the due-DAG query p99 (vs the tick without it)': { value: round(d.p99), unit: 'ms', baseline: round(p.p99) },
    "tick's added cost (p50 / p99)": { value: round(d.p50 - p.p50), unit: 'ms', note: `p99 difference ${round(d.p99 - p.p99)} ms` },
    'EXPLAIN: due-DAG query uses idx_next_dagrun_create_after': { value: duePlan.includes('idx_next_dagrun_create_after') ? 1 : 0, unit: 'bool' },
    'run-history read for 20 due DAGs × 5 runs, p50 / p99': { value: round(h.p50), unit: 'ms', note: `p99 ${round(h.p99)} ms; ${rows}` },
    'EXPLAIN: history uses dag_run_dag_id_logical_date_key and ti_dag_run': {
      value: historyPlan.includes('dag_run_dag_id_logical_date_key') && historyPlan.includes('ti_dag_run') ? 1 : 0,
      unit: 'bool',
    },
  };
}
