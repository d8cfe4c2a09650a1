/**
 * Traces for pre-warming, as export-trace writes them (queue,queued_at,duration_seconds and the
 * run columns), drawn from a fixed seed so the tests and the README's figures are reproducible:
 *
 *   npx tsx test/support/prewarm-traces.ts DIR   # writes DIR/hourly-and-manual.csv, DIR/all-manual.csv
 *
 * `hourly-and-manual`: two days of an hourly DAG `etl` (schedule "0 * * * *") whose runs queue
 * a first wave of about 200 tasks within seconds of their start and 30 more when those are done,
 * plus manual runs at random times: `etl` triggered by hand once a day (100 + 30 tasks) and an
 * ad-hoc DAG twice a day (40 tasks), 3.7 % of the tasks. Airflow's scheduler creates a scheduled
 * run a few seconds after its run_after (its loop), and queues the run's tasks over the next
 * seconds. `all-manual`: the same tasks, every run manual.
 *
 * The share of manual work matters to p95: it is taken over every task, and once manual runs
 * (which nothing forecasts) are more than 5 % of them, p95 is their wait. With the ad-hoc DAG
 * four times a day at 150 tasks (13 % manual) `--prewarm` takes p95 only from 88 to 65 s.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { sample } from '../../src/sim/model/distribution.js';
import type { Rng } from '../../src/sim/model/random.js';
import { createRng } from '../../src/sim/model/random.js';
import { formatTraceRow, traceHeader } from '../../src/sim/input/trace.js';

const START = Date.UTC(2024, 4, 6); // a Monday, 00:00 UTC
const HOURS = 48;
const RUN_COLUMNS = ['dag_id', 'run_id', 'run_type', 'run_after'];

interface Row {
  readonly queuedAtMs: number;
  readonly durationSeconds: number;
  readonly dagId: string;
  readonly runId: string;
  readonly runType: string;
  readonly runAfterMs: number;
}

const between = (rng: Rng, low: number, high: number): number => low + rng.next() * (high - low);

/** One run: a first wave of `first` tasks from its creation, then `later` tasks some minutes on. */
function run(rng: Rng, dagId: string, runType: string, runAfterMs: number, first: number, later: number): Row[] {
  const runId = `${runType}__${new Date(runAfterMs).toISOString()}`;
  const createdMs = runAfterMs + between(rng, 1, 5) * 1000;
  const rows: Row[] = [];
  const durations = { distribution: 'lognormal', median: 90, sigma: 0.6 } as const;
  for (let i = 0; i < first; i++) {
    rows.push({ queuedAtMs: createdMs + between(rng, 0, 15) * 1000, durationSeconds: sample(durations, rng), dagId, runId, runType, runAfterMs });
  }
  const downstreamMs = createdMs + between(rng, 240, 420) * 1000;
  for (let i = 0; i < later; i++) {
    rows.push({ queuedAtMs: downstreamMs + between(rng, 0, 30) * 1000, durationSeconds: sample(durations, rng), dagId, runId, runType, runAfterMs });
  }
  return rows;
}

function rows(seed: number): Row[] {
  const rng = createRng(seed, 1);
  const out: Row[] = [];
  for (let h = 0; h < HOURS; h++) {
    out.push(...run(rng, 'etl', 'scheduled', START + h * 3_600_000, 190 + Math.floor(rng.next() * 21), 30));
  }
  for (let day = 0; day < HOURS / 24; day++) {
    const dayMs = START + day * 86_400_000;
    out.push(...run(rng, 'etl', 'manual', dayMs + between(rng, 8, 18) * 3_600_000, 100, 30));
    for (let k = 0; k < 2; k++) out.push(...run(rng, 'adhoc_export', 'manual', dayMs + between(rng, 0, 24) * 3_600_000, 40, 0));
  }
  return out.sort((a, b) => a.queuedAtMs - b.queuedAtMs);
}

function csv(list: readonly Row[], runType: (row: Row) => string): string {
  const lines = [traceHeader(RUN_COLUMNS)];
  for (const row of list) {
    lines.push(
      formatTraceRow({
        queue: 'default',
        queuedAtMs: row.queuedAtMs,
        durationSeconds: row.durationSeconds,
        extra: [row.dagId, row.runId, runType(row), new Date(row.runAfterMs).toISOString()],
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The hourly DAG with its scheduled runs, and the manual runs. */
export function hourlyAndManualTrace(seed = 14): string {
  return csv(rows(seed), (row) => row.runType);
}

/** The same tasks, every run manual: nothing to forecast. */
export function allManualTrace(seed = 14): string {
  return csv(rows(seed), () => 'manual');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.argv[2];
  if (dir === undefined) {
    process.stderr.write('usage: npx tsx test/support/prewarm-traces.ts DIR\n');
    process.exit(2);
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'hourly-and-manual.csv'), hourlyAndManualTrace());
  writeFileSync(join(dir, 'all-manual.csv'), allManualTrace());
  process.stdout.write(`wrote ${join(dir, 'hourly-and-manual.csv')} and ${join(dir, 'all-manual.csv')}\n`);
}
