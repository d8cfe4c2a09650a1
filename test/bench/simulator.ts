/**
 * Simulator speed (issue 3): one week of a 1,000,000-task trace replayed for one configuration,
 * and a 4×4 sweep (pollingInterval × cooldownPeriod) over it on every core. The trace is made in
 * memory from a scenario (hourly bursts, a business-hours ramp and a steady trickle on three
 * queues), written as CSV and parsed back, so CSV parsing is measured too. The sweep runs on the
 * built worker script (dist/sim/sweep-worker.js): `npm run bench` builds first.
 */
import { availableParallelism } from 'node:os';

import type { SimConfig } from '../../src/sim/model/config.js';
import { DEFAULT_CONFIG } from '../../src/sim/model/config.js';
import { parseScenario } from '../../src/sim/input/scenario.js';
import { generateWorkload } from '../../src/sim/input/workload-generation.js';
import { runSimulation } from '../../src/sim/model/simulation.js';
import { expandGrid, parseSweepAxis, runConfigs } from '../../src/sim/sweep.js';
import { formatTraceRow, parseTraceCsv, traceHeader } from '../../src/sim/input/trace.js';
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
  const lines: string[] = [traceHeader(['dag_hash'])];
  for (let i = 0; i < workload.queuedAt.length; i++) {
    lines.push(
      formatTraceRow({
        queue: workload.queueNames[workload.queue[i] as number] ?? 'default',
        queuedAtMs: workload.startEpochMs + (workload.queuedAt[i] as number) * 1000,
        durationSeconds: workload.duration[i] as number,
        extra: ['0123456789abcdef'],
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

  const grid = expandGrid(config, [parseSweepAxis('polling=1,5,15,30'), parseSweepAxis('cooldown=30,120,300,600')]);
  t = process.hrtime.bigint();
  await runConfigs(
    workload,
    grid.map((cell) => cell.config),
    { recordTimeline: false },
  );
  const sweepSeconds = seconds(t);

  return {
    'simulator trace tasks': { value: workload.queuedAt.length, unit: 'tasks' },
    'simulator replay unfinished tasks': { value: result.metrics.tasks.unfinished, unit: 'tasks' },
    'simulator trace span': { value: Math.round(result.metrics.simulatedSeconds / 3600), unit: 'h' },
    'simulator CSV parse (1M-task week)': { value: Number(parseSeconds.toFixed(2)), unit: 's' },
    'simulator replay, one configuration (1M-task week)': { value: Number(replaySeconds.toFixed(2)), unit: 's' },
    'simulator replay with scale-in drain (1M-task week)': {
      value: Number(drainSeconds.toFixed(2)),
      unit: 's',
      note: `core's planner and ledger on every scaler tick that can change its answer; tasks killed ${drained.metrics.tasksKilled} (scale-in off: ${result.metrics.tasksKilled}), worker-hours ${Math.round(drained.metrics.workerSeconds / 3600)} (${Math.round(result.metrics.workerSeconds / 3600)})`,
    },
    'simulator 4×4 sweep (1M-task week)': { value: Number(sweepSeconds.toFixed(2)), unit: 's' },
    'simulator sweep threads': { value: Math.min(availableParallelism(), grid.length), unit: 'threads' },
  };
}
