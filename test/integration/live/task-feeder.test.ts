import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { PrewarmSpec } from '../../../src/core/prewarm.js';
import { FIRST_WAVE_SECONDS, forecastTasks } from '../../../src/core/prewarm.js';
import type { EmbeddedMetastore } from '../../../src/demo/embedded-metastore.js';
import { startEmbeddedMetastore } from '../../../src/demo/embedded-metastore.js';
import { playFromOf, realLeadSeconds } from '../../../src/live/live-demo.js';
import { TaskFeeder } from '../../../src/live/task-feeder.js';
import { VirtualClock } from '../../../src/live/virtual-clock.js';
import { readAirflowShape, readDueDags, readFirstWaves } from '../../../src/metastore/forecast-reads.js';
import { parseScenario } from '../../../src/sim/input/scenario.js';
import { generateWorkload } from '../../../src/sim/input/workload-generation.js';
import { quietLogger } from '../../support/quiet-logger.js';

/*
 * The demo's scheduler on the embedded PostgreSQL: the dag and dag_run rows it writes are the
 * ones Airflow's scheduler would, so the service's own pre-warming reads (metastore/forecast-reads)
 * find the DAG due, size it from its past run, and stop counting it once its run exists.
 */

// An hourly DAG of 4 one-minute tasks, queued over 10 s from each hour.
const SCENARIO = `duration: 3h
queues:
  default:
    duration: 60s
    arrivals:
      - burst: {dag: hourly_etl, tasks: 4, cron: "0 * * * *", spread: 10s}
`;
const SPEED = 20;
const LEAD = 120;

describe('the demo scheduler (TaskFeeder) on the embedded metastore', () => {
  let metastore: EmbeddedMetastore;
  let client: pg.Client;
  const base = Date.now();
  let wallMs = 0;
  const clock = new VirtualClock(SPEED, () => base + wallMs);
  const workload = generateWorkload(parseScenario(SCENARIO, 'hourly.yaml'), 1);
  const playFrom = playFromOf(workload, LEAD);
  let feeder: TaskFeeder;

  beforeAll(async () => {
    metastore = await startEmbeddedMetastore(quietLogger);
    client = new pg.Client({ connectionString: metastore.url });
    await client.connect();
    feeder = new TaskFeeder(workload, metastore, clock, playFrom);
  });
  afterAll(async () => {
    await client.end();
    await metastore.close();
  });

  /** What the service forecasts at wall time `nowMs` (its reads, then core's rule). */
  async function serviceForecast(nowMs: number): Promise<number> {
    const shape = await readAirflowShape(client);
    if (shape === null) throw new Error('dag and dag_run not readable');
    const leadMs = realLeadSeconds(LEAD, SPEED) * 1000;
    const dueDags = await readDueDags(client, shape, { fromMs: nowMs - leadMs, toMs: nowMs + leadMs, limit: 100 });
    const history = await readFirstWaves(client, shape, true, dueDags.map((d) => d.dagId), 5, FIRST_WAVE_SECONDS);
    const prewarm: PrewarmSpec = { mode: 'schedule', leadMs, historyRuns: 5 };
    return forecastTasks({ available: true, dueDags, history }, prewarm, { queues: new Set(['default']), executorMatches: null }, nowMs).tasks;
  }

  it('starts shortly before the first run with a past, and writes the past as finished runs', async () => {
    // The second run (1 h) is the first with a history: start 120 s of lead and 90 s before it.
    expect(playFrom).toBe(3600 - 120 - 90);
    await feeder.prepare();
    const dag = await metastore.query<{ dag_id: string; is_paused: boolean; is_stale: boolean; due: Date }>(
      'SELECT dag_id, is_paused, is_stale, next_dagrun_create_after AS due FROM dag',
    );
    // Due 210 virtual seconds from the start: 10.5 s of wall-clock time at ×20.
    expect(dag).toEqual([{ dag_id: 'hourly_etl', is_paused: false, is_stale: false, due: new Date(base + 10_500) }]);
    const runs = await metastore.query<{ run_type: string; state: string; run_after: Date; logical_date: Date }>('SELECT run_type, state, run_after, logical_date FROM dag_run');
    expect(runs).toEqual([{ run_type: 'scheduled', state: 'success', run_after: new Date(base - 3390_000 / SPEED), logical_date: new Date(base - 3390_000 / SPEED) }]);
    const tasks = await metastore.query<{ state: string; n: number }>("SELECT state, count(*)::int AS n FROM task_instance WHERE dag_id = 'hourly_etl' GROUP BY state");
    expect(tasks).toEqual([{ state: 'success', n: 4 }]);
    expect(feeder.nextRun()).toEqual({ dagId: 'hourly_etl', dueAt: 3600 });
  });

  it("is due for the service's reads within the lead, sized by the past run", async () => {
    // 4 s of wall-clock time before the due instant: within the 6 s lead.
    expect(await serviceForecast(base + 6_500)).toBe(4);
    // 7 s before: not yet.
    expect(await serviceForecast(base + 3_500)).toBe(0);
  });

  it('creates the run with its first task, moves the DAG on, and queues the tasks in that run', async () => {
    wallMs = 11_000; // 3390 + 220 = 3610 s: the run at 1 h and all its tasks
    await feeder.step();
    const runs = await metastore.query<{ run_id: string; run_type: string; state: string; run_after: Date }>(
      "SELECT run_id, run_type, state, run_after FROM dag_run WHERE state = 'running'",
    );
    expect(runs).toEqual([{ run_id: `scheduled__${new Date(base + 10_500).toISOString()}`, run_type: 'scheduled', state: 'running', run_after: new Date(base + 10_500) }]);
    const queued = await metastore.query<{ dag_id: string; run_id: string; n: number; stamped: number }>(
      "SELECT dag_id, run_id, count(*)::int AS n, count(queued_dttm)::int AS stamped FROM task_instance WHERE state = 'queued' GROUP BY dag_id, run_id",
    );
    expect(queued).toEqual([{ dag_id: 'hourly_etl', run_id: runs[0]!.run_id, n: 4, stamped: 4 }]);
    const [dag] = await metastore.query<{ due: Date }>('SELECT next_dagrun_create_after AS due FROM dag');
    // The next run, at 2 h: 3600 virtual seconds (180 s of wall-clock time) later.
    expect(dag!.due).toEqual(new Date(base + 10_500 + 180_000));
    expect(feeder.nextRun()).toEqual({ dagId: 'hourly_etl', dueAt: 7200 });
    // The run exists: its tasks count as queued, the forecast has let go of it.
    expect(await serviceForecast(base + 11_000)).toBe(0);
  });
});
