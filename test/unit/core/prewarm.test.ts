import { describe, expect, it } from 'vitest';

import type { ForecastInput, PrewarmSpec, RunWave } from '../../../src/core/prewarm.js';
import { carryForecast, expectedWave, forecastTasks, forecastWindowHolds } from '../../../src/core/prewarm.js';
import { decide } from '../../../src/core/scaling.js';
import { forecastOf } from '../../../src/core/snapshot.js';
import type { Snapshot } from '../../../src/core/snapshot.js';
import { workerSetSpec } from '../../support/worker-set-spec.js';

const ON: PrewarmSpec = { mode: 'schedule', leadMs: 120_000, historyRuns: 5 };
const wave = (count: number, queue = 'default', executor: string | null = null): RunWave => ({ tasks: [{ queue, executor, count }] });
const ALL = { queues: new Set(['default']), executorMatches: null };

describe('forecastWindowHolds', () => {
  it('counts a DAG from lead before it is due until lead after, if its run has not come', () => {
    const due = 1_000_000;
    expect(forecastWindowHolds(due, due - 120_001, 120_000)).toBe(false);
    expect(forecastWindowHolds(due, due - 120_000, 120_000)).toBe(true);
    expect(forecastWindowHolds(due, due, 120_000)).toBe(true);
    expect(forecastWindowHolds(due, due + 119_999, 120_000)).toBe(true);
    expect(forecastWindowHolds(due, due + 120_000, 120_000)).toBe(false);
  });
});

describe('expectedWave', () => {
  it('is the lower median of the last runs, robust to one unusual run', () => {
    expect(expectedWave([wave(40), wave(38), wave(400), wave(41), wave(39)], 5, ALL)).toBe(40);
    expect(expectedWave([wave(40), wave(400)], 5, ALL)).toBe(40);
    expect(expectedWave([], 5, ALL)).toBe(0);
  });

  it('uses only the newest historyRuns runs', () => {
    expect(expectedWave([wave(10), wave(10), wave(90), wave(90), wave(90)], 2, ALL)).toBe(10);
  });

  it('counts only the set’s queues and executors', () => {
    const run: RunWave = { tasks: [{ queue: 'default', executor: null, count: 10 }, { queue: 'high', executor: null, count: 5 }, { queue: 'default', executor: 'KubernetesExecutor', count: 7 }] };
    expect(expectedWave([run], 5, { queues: new Set(['default']), executorMatches: (e) => e === null })).toBe(10);
    expect(expectedWave([run], 5, { queues: new Set(['default', 'high']), executorMatches: null })).toBe(22);
  });
});

describe('forecastTasks', () => {
  const input = (dueAtMs: number, runs: RunWave[] = [wave(40)]): ForecastInput => ({
    available: true,
    dueDags: [{ dagId: 'etl', dueAtMs }],
    history: new Map([['etl', runs]]),
  });

  it('adds each due DAG’s expected first wave while it is within the lead', () => {
    const forecast = forecastTasks(
      { available: true, dueDags: [{ dagId: 'a', dueAtMs: 100_000 }, { dagId: 'b', dueAtMs: 150_000 }, { dagId: 'c', dueAtMs: 500_000 }], history: new Map([['a', [wave(10)]], ['b', [wave(20)]], ['c', [wave(30)]]]) },
      ON,
      ALL,
      60_000,
    );
    expect(forecast).toEqual({ tasks: 30, dags: 2 });
  });

  it('forecasts nothing when off, when the reads never worked, or while a DAG’s history is still being read', () => {
    expect(forecastTasks(input(100_000), { ...ON, mode: 'off' }, ALL, 60_000).tasks).toBe(0);
    expect(forecastTasks({ available: false, reason: 'permission denied' }, ON, ALL, 60_000).tasks).toBe(0);
    expect(forecastTasks({ available: true, dueDags: [{ dagId: 'etl', dueAtMs: 100_000 }], history: new Map() }, ON, ALL, 60_000).tasks).toBe(0);
  });
});

describe('carryForecast: a failed due-DAG read never lowers an answer', () => {
  const read = (dueAtMs: number): ForecastInput => ({ available: true, dueDags: [{ dagId: 'etl', dueAtMs }], history: new Map([['etl', [wave(40)]]]) });
  const failed: ForecastInput = { available: false, reason: 'canceling statement due to statement timeout' };

  it('keeps forecasting from the last due list read, through consecutive failures', () => {
    const first = carryForecast(read(100_000), failed);
    const second = carryForecast(first, failed);
    expect(first.available).toBe(false);
    expect(forecastTasks(read(100_000), ON, ALL, 60_000).tasks).toBe(40);
    expect(forecastTasks(first, ON, ALL, 60_000).tasks).toBe(40);
    expect(forecastTasks(second, ON, ALL, 90_000).tasks).toBe(40);
  });

  it('ends by itself: a carried DAG counts only until its due instant plus the lead', () => {
    const carried = carryForecast(read(100_000), failed);
    expect(forecastTasks(carried, ON, ALL, 219_999).tasks).toBe(40);
    expect(forecastTasks(carried, ON, ALL, 220_000).tasks).toBe(0);
  });

  it('takes a fresh read as it is, and has nothing to carry before the first read', () => {
    expect(carryForecast(read(100_000), read(500_000))).toEqual(read(500_000));
    expect(carryForecast(undefined, failed)).toEqual(failed);
    expect(carryForecast(failed, failed)).toEqual(failed);
  });
});

describe('the forecast in the scaling rule', () => {
  const snapshot = (dueAtMs: number, queued: number): Snapshot => ({
    metastore: 'default',
    takenAtMs: 1_000_000,
    hasExecutorColumn: true,
    rows: queued === 0 ? [] : [{ queue: 'default', executor: null, state: 'queued', count: queued }],
    forecast: { available: true, dueDags: [{ dagId: 'etl', dueAtMs }], history: new Map([['etl', [wave(40)]]]) },
  });

  it('raises desired to ceil(forecast / concurrency) before the run exists, and activates an idle set', () => {
    const spec = workerSetSpec({ workerConcurrency: 16, prewarm: ON });
    const forecast = forecastOf(snapshot(1_060_000, 0), spec).tasks;
    expect(forecast).toBe(40);
    const decision = decide({ queued: 0, running: 0, forecast }, spec);
    expect(decision).toMatchObject({ desired: 3, active: true, forecast: 40 });
  });

  it('leaves a set without prewarm untouched', () => {
    const spec = workerSetSpec({ workerConcurrency: 16 });
    expect(forecastOf(snapshot(1_060_000, 0), spec).tasks).toBe(0);
  });

  it('still bounds everything by maxReplicaCount', () => {
    const spec = workerSetSpec({ workerConcurrency: 16, maxReplicaCount: 2, prewarm: ON });
    expect(decide({ queued: 0, running: 0, forecast: 400 }, spec)).toMatchObject({ desired: 2, clampedBy: 'max' });
  });
});
