/**
 * Simulator speed: one replication of a 1,000,000-task week replayed for one configuration (and
 * with scale-in drain, and with pre-warming), a 4×4 sweep (pollingInterval × cooldownPeriod) over it with one
 * replication, and the 4×4 sweep of `hourly-etl.yaml` with the default replications, as
 * `simulate --sweep` runs it. The trace is made in memory from a scenario (hourly bursts, a
 * business-hours ramp and a steady trickle on three queues; each burst fire a scheduled DAG run),
 * written as CSV with the run columns and parsed back, so CSV parsing is measured too. Sweeps run on the built worker script (dist/sim/sweep-worker.js):
 * `npm run bench` builds first.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

import type { SimConfig } from '../../src/sim/model/config.js';
import { DEFAULT_CONFIG } from '../../src/sim/model/config.js';
import { parseScenario } from '../../src/sim/input/scenario.js';
import { generateWorkload } from '../../src/sim/input/workload-generation.js';
import { runSimulation } from '../../src/sim/model/simulation.js';
import { replicationSeed } from '../../src/sim/model/random.js';
import { expandGrid, parseSweepAxis } from '../../src/sim/sweep-dimensions.js';
import { runReplications } from '../../src/sim/sweep.js';
import { DEFAULT_REPLICATIONS } from '../../src/sim/usage.js';
import { formatTraceRow, parseTraceCsv, traceHeader } from '../../src/sim/input/trace.js';
import { RUN_COLUMNS } from '../../src/sim/input/trace-runs.js';
import type { Workload } from '../../src/sim/model/workload.js';

export interface SimFigure {
  readonly value: number;
  readonly unit: string;
  readonly note?: string;
}

/** About 1,000,000 tasks in 7 days (≈ 1.65 tasks/s on average, bursts of 1,500 every hour). */
const WEEK_SCENARIO = `
name: bench week
duration: 7d
queues:
  default:
    duration: {distribution: lognormal, median: 60s, sigma: 0.9}
    arrivals:
      - burst: {tasks: 1500, cron: "0 * * * *", spread: 60s}
      - poisson: {ratePerMinute: 54}
  reports:
    duration: {distribution: lognormal, median: 10m, sigma: 0.6}
    arrivals:
      - burst: {tasks: 400, cron: "0 6 * * 1-5"}
  high:
    duration: {distribution: exponential, mean: 20s}
    arrivals:
      - ramp: {startRatePerMinute: 0, endRatePerMinute: 40, from: 0h, until: 168h}
`;

function weekTraceCsv(): string {
  const workload = generateWorkload(parseScenario(WEEK_SCENARIO, 'bench-week.yaml'), 42);
  const runs = workload.runs;
  const lines: string[] = [traceHeader(RUN_COLUMNS)];
  for (let i = 0; i < workload.queuedAt.length; i++) {
    const run = runs === null ? -1 : (runs.taskRun[i] as number);
    // As export-trace writes them: ids hashed (here: made up), the run's type and due instant.
    const extra =
      runs === null || run < 0
        ? ['', '', '', '']
        : [`dag${runs.runDag[run] as number}`, `run${run}`, 'scheduled', new Date(workload.startEpochMs + (runs.runAfter[run] as number) * 1000).toISOString()];
    lines.push(
      formatTraceRow({
        queue: workload.queueNames[workload.queue[i] as number] ?? 'default',
        queuedAtMs: workload.startEpochMs + (workload.queuedAt[i] as number) * 1000,
        durationSeconds: workload.duration[i] as number,
        extra,
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export async function runSimulatorBenchmark(): Promise<Record<string, SimFigure>> {
  const csv = weekTraceCsv();
  let t = process.hrtime.bigint();
  const workload: Workload = parseTraceCsv(csv, 'week.csv');
  const parseSeconds = seconds(t);

  const config: SimConfig = { ...DEFAULT_CONFIG, maxReplicaCount: 50, pollingInterval: 5, cooldownPeriod: 300 };
  t = process.hrtime.bigint();
  const result = runSimulation(workload, config);
  const replaySeconds = seconds(t);

  t = process.hrtime.bigint();
  const drained = runSimulation(workload, { ...config, scaleInPolicy: 'drain' });
  const drainSeconds = seconds(t);

  t = process.hrtime.bigint();
  const prewarmed = runSimulation(workload, { ...config, prewarm: 'schedule' });
  const prewarmSeconds = seconds(t);

  const axes = [parseSweepAxis('pollingInterval=1,5,15,30'), parseSweepAxis('cooldownPeriod=30,120,300,600')];
  const grid = expandGrid(config, axes);
  t = process.hrtime.bigint();
  await runReplications([workload], grid.map((cell) => cell.config), { replications: 1 });
  const sweepSeconds = seconds(t);

  // hourly-etl.yaml as `simulate --scenario … --sweep pollingInterval=1,5,15,30 cooldownPeriod=30,120,300,600`
  // runs it: the workloads drawn per replication, then every cell's replications.
  const file = fileURLToPath(new URL('../../src/sim/scenarios/hourly-etl.yaml', import.meta.url));
  t = process.hrtime.bigint();
  const scenario = parseScenario(readFileSync(file, 'utf8'), file);
  const seed = scenario.settings.seed ?? DEFAULT_CONFIG.seed;
  const workloads = Array.from({ length: DEFAULT_REPLICATIONS }, (_, r) => generateWorkload(scenario, replicationSeed(seed, r)));
  const etlGrid = expandGrid({ ...DEFAULT_CONFIG, ...scenario.settings, seed }, axes);
  await runReplications(workloads, etlGrid.map((cell) => cell.config), { replications: DEFAULT_REPLICATIONS });
  const etlSeconds = seconds(t);

  return {
    'simulator trace tasks': { value: workload.queuedAt.length, unit: 'tasks' },
    'simulator replay unfinished tasks': { value: result.metrics.tasks.unfinished, unit: 'tasks' },
    'simulator trace span': { value: Math.round(result.metrics.simulatedSeconds / 3600), unit: 'h' },
    'simulator CSV parse (1M-task week)': { value: Number(parseSeconds.toFixed(2)), unit: 's' },
    'simulator replay, one configuration, one replication (1M-task week)': { value: Number(replaySeconds.toFixed(2)), unit: 's' },
    'simulator replay with scale-in drain (1M-task week)': {
      value: Number(drainSeconds.toFixed(2)),
      unit: 's',
      note: `core's planner and ledger on every scaler tick that can change its answer; tasks killed ${drained.metrics.tasksKilled} (scale-in off: ${result.metrics.tasksKilled}), worker-hours ${Math.round(drained.metrics.workerSeconds / 3600)} (${Math.round(result.metrics.workerSeconds / 3600)})`,
    },
    'simulator replay with prewarm: schedule (1M-task week)': {
      value: Number(prewarmSeconds.toFixed(2)),
      unit: 's',
      note: `core's forecastTasks at every decision while a DAG is due (spells precomputed once); ${workload.runs?.runDag.length ?? 0} scheduled runs; p95 wait ${prewarmed.metrics.queueWaitSeconds.p95.toFixed(1)} s (off: ${result.metrics.queueWaitSeconds.p95.toFixed(1)}), worker-hours ${Math.round(prewarmed.metrics.workerSeconds / 3600)} (${Math.round(result.metrics.workerSeconds / 3600)})`,
    },
    'simulator 4×4 sweep, one replication (1M-task week)': { value: Number(sweepSeconds.toFixed(2)), unit: 's' },
    [`simulator 4×4 sweep of hourly-etl, ${DEFAULT_REPLICATIONS} replications`]: {
      value: Number(etlSeconds.toFixed(2)),
      unit: 's',
      note: `${etlGrid.length * DEFAULT_REPLICATIONS} runs of ${workloads[0]?.queuedAt.length ?? 0} tasks, workload generation included`,
    },
    'simulator sweep threads': { value: Math.min(availableParallelism(), grid.length), unit: 'threads' },
  };
}
