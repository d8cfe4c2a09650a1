import pg from 'pg';

import { parseConfig } from '../../src/core/config.js';
import { COUNT_BY_QUEUE_EXECUTOR_STATE } from '../../src/metastore/queries.js';
import { PgTaskCountReader } from '../../src/metastore/task-count-reader.js';
import { chartQuery } from './chart-baseline.js';
import type { BenchEnvironment } from './environment.js';
import type { Figures } from './figures.js';
import { round, summarize } from './figures.js';
import { quietLogger } from '../support/quiet-logger.js';


async function planUses(client: pg.Client, sql: string, values: unknown[], index: string): Promise<boolean> {
  const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, values);
  return rows.some((row) => row['QUERY PLAN'].includes(index));
}

/**
 * 1. The tick query at metastore size: our full read (BEGIN, SET LOCAL statement_timeout, the
 * GROUP BY over every queue, COMMIT) through PgBouncer, next to the chart's COUNT for one queue.
 */
export async function benchTickQuery(env: BenchEnvironment, iterations: number): Promise<Figures> {
  const [metastore] = parseConfig({ file: { metastores: { default: { url: env.oursUrl } } }, env: {} }).metastores;
  if (metastore === undefined) throw new Error('no metastore');
  const reader = new PgTaskCountReader(metastore, 2_000, quietLogger);
  const chart = new pg.Client({ connectionString: env.baselineUrl });
  await chart.connect();
  const ours: number[] = [];
  const baseline: number[] = [];
  try {
    for (let i = 0; i < 20; i += 1) {
      await reader.read(0);
      await chart.query(chartQuery('queue_0'));
    }
    for (let i = 0; i < iterations; i += 1) {
      let started = performance.now();
      await reader.read(0);
      ours.push(performance.now() - started);
      started = performance.now();
      await chart.query(chartQuery(`queue_${i % 10}`));
      baseline.push(performance.now() - started);
    }
  } finally {
    await reader.close();
    await chart.end();
  }
  const direct = new pg.Client({ connectionString: env.directUrl });
  await direct.connect();
  let oursIndexed: boolean;
  let chartIndexed: boolean;
  try {
    oursIndexed = await planUses(direct, COUNT_BY_QUEUE_EXECUTOR_STATE, [['queued', 'running']], 'ti_state');
    chartIndexed = await planUses(direct, chartQuery('queue_0'), [], 'ti_state');
  } finally {
    await direct.end();
  }
  const o = summarize(ours);
  const b = summarize(baseline);
  const note = `${env.rows.toLocaleString('en-US')} rows; ours covers all 10 queues in one read, the chart's query one queue`;
  return {
    'tick query p50 (ours, all queues) vs chart query (one queue)': { value: round(o.p50), unit: 'ms', baseline: round(b.p50), ratio: round(b.p50 / o.p50), note },
    'tick query p99 (ours, all queues) vs chart query (one queue)': {
      value: round(o.p99),
      unit: 'ms',
      baseline: round(b.p99),
      ratio: round(b.p99 / o.p99),
      goal: 'p99 ≤ 10 ms at 10 M rows',
    },
    'EXPLAIN uses ti_state (ours / chart)': { value: oursIndexed ? 1 : 0, unit: 'bool', baseline: chartIndexed ? 1 : 0 },
  };
}
