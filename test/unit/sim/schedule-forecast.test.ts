import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import type { DueDag, PrewarmSpec, RunWave } from '../../../src/core/prewarm.js';
import { FIRST_WAVE_SECONDS, forecastTasks } from '../../../src/core/prewarm.js';
import { ScheduleForecast } from '../../../src/sim/model/schedule-forecast.js';
import type { Workload } from '../../../src/sim/model/workload.js';
import type { RunTask } from './support.js';
import { runBurst, runWorkloadOf } from './support.js';

const PREWARM: PrewarmSpec = { mode: 'schedule', leadMs: 120_000, historyRuns: 5 };

function forecastOf(tasks: readonly RunTask[], prewarm: PrewarmSpec = PREWARM, queues: readonly string[] = ['default']): ScheduleForecast {
  const workload = runWorkloadOf(tasks);
  if (workload.runs === null) throw new Error('no runs');
  return new ScheduleForecast(workload, workload.runs, prewarm, queues);
}

describe('the simulated forecast of scheduled runs', () => {
  // An hourly DAG whose runs queued 10, 40 and 30 tasks; the fourth run, due at 3 h, queues 50.
  const hourly = [...runBurst('etl', 0, 10), ...runBurst('etl', 3600, 40), ...runBurst('etl', 7200, 30), ...runBurst('etl', 10800, 50)];

  it("counts the lower median of the last runs' first waves from the lead before the due time until the run exists", () => {
    const forecast = forecastOf(hourly);
    expect(forecast.at(10800 - 120.001).tasks).toBe(0);
    // Median of 30, 40, 10: 30. The fourth run's own 50 tasks are unknown until they are queued.
    expect(forecast.at(10800 - 120)).toEqual({ tasks: 30, dags: 1 });
    expect(forecast.at(10800).tasks).toBe(30);
    // Its first task is queued 1 s after the due time: from then its tasks count as queued, never twice.
    expect(forecast.at(10800.999).tasks).toBe(30);
    expect(forecast.at(10801).tasks).toBe(0);
  });

  it('has nothing to say of a DAG before its first run, and sizes each run by the runs before it only', () => {
    const forecast = forecastOf(hourly);
    expect(forecast.at(-60).tasks).toBe(0);
    expect(forecast.at(3600 - 60).tasks).toBe(10);
    // Lower median of 40 and 10.
    expect(forecast.at(7200 - 60).tasks).toBe(10);
  });

  it('stops counting a run that has not come the lead after it was due', () => {
    const late = [...runBurst('etl', 0, 10), ...runBurst('etl', 3600, 20, { delay: 300 })];
    const forecast = forecastOf(late);
    expect(forecast.at(3600 + 119.999).tasks).toBe(10);
    expect(forecast.at(3600 + 120).tasks).toBe(0);
    expect(forecast.at(3600 + 299).tasks).toBe(0);
  });

  it('forecasts no manual run and sizes nothing from one', () => {
    const withManual = [
      ...runBurst('etl', 0, 10),
      ...runBurst('etl', 1800, 200, { scheduled: false }),
      ...runBurst('adhoc', 2400, 50, { scheduled: false }),
      ...runBurst('etl', 3600, 10),
    ];
    const forecast = forecastOf(withManual);
    expect(forecast.at(1800 - 60).tasks).toBe(0);
    expect(forecast.at(2400 - 60).tasks).toBe(0);
    // The manual run's 200 tasks do not size the next scheduled run.
    expect(forecast.at(3600 - 60)).toEqual({ tasks: 10, dags: 1 });
  });

  it("counts only the worker set's queues, and only each run's first wave", () => {
    const tasks = [
      ...runBurst('etl', 0, 10),
      ...runBurst('etl', 0, 6, { queue: 'high' }),
      // Queued 150 s after the run started: a later wave, which the reactive count sees in time.
      ...runBurst('etl', 0, 100, { delay: 1 + FIRST_WAVE_SECONDS + 30 }).map((t) => ({ ...t, runAfter: 0 })),
      ...runBurst('etl', 3600, 10),
    ];
    expect(forecastOf(tasks).at(3500).tasks).toBe(10);
    expect(forecastOf(tasks, PREWARM, ['high']).at(3500).tasks).toBe(6);
    expect(forecastOf(tasks, PREWARM, ['default', 'high']).at(3500).tasks).toBe(16);
  });

  it('adds up DAGs due at once, and uses the last prewarmHistoryRuns runs', () => {
    const tasks = [
      ...[10, 10, 10, 90, 90].flatMap((n, i) => runBurst('a', i * 3600, n)),
      ...runBurst('b', 0, 7),
      ...runBurst('a', 5 * 3600, 1),
      ...runBurst('b', 5 * 3600 + 30, 1),
    ];
    expect(forecastOf(tasks).at(5 * 3600 - 10)).toEqual({ tasks: 10 + 7, dags: 2 });
    expect(forecastOf(tasks, { ...PREWARM, historyRuns: 2 }).at(5 * 3600 - 10)).toEqual({ tasks: 90 + 7, dags: 2 });
  });

  it('moves on to the next run only once the last one exists, and reads a history as it stands then', () => {
    // Due every 60 s with a 120 s lead; each run queues 4 tasks from 50 s after it was due, over 40 s.
    const fast = [0, 60, 120, 180, 240].flatMap((due) => runBurst('fast', due, 4, { delay: 50, spread: 40 }));
    const forecast = forecastOf(fast);
    // The run due at 0 is created at 50 (its tasks at 50, 60, 70, 80); from then the DAG is due
    // for the run at 60, and its history is read at once: one task of the run at 0 so far.
    expect(forecast.at(100)).toEqual({ tasks: 1, dags: 1 });
    // Not the run at 120 yet: the run at 60 is created only at 110. Then the history is read
    // again: the run at 60 with 1 task so far, the run at 0 with 4; lower median 1.
    expect(forecast.at(110)).toEqual({ tasks: 1, dags: 1 });
    // At 170 (the run at 120 just created): 1, 4 and 4 tasks; median 4.
    expect(forecast.at(170)).toEqual({ tasks: 4, dags: 1 });
  });

  it('answers the same when asked out of order', () => {
    const forward = forecastOf(hourly);
    const times = [3500, 3550, 7100, 7150, 10700, 10750, 10800.5];
    const expected = times.map((t) => forward.at(t).tasks);
    const shuffled = forecastOf(hourly);
    const order = [6, 0, 5, 1, 4, 2, 3];
    for (const i of order) expect(shuffled.at(times[i]!).tasks).toBe(expected[i]);
  });
});

/**
 * The metastore replayed by brute force at instant `t`: every run that exists (its first task
 * queued by t), each DAG's next scheduled run not created yet, and its history read as of the
 * instant the DAG entered the due list for that run, from the task rows queued by then.
 */
function replayedForecast(workload: Workload, prewarm: PrewarmSpec, queues: readonly string[], t: number): number {
  const runs = workload.runs!;
  const created = new Map<number, number>();
  for (let i = 0; i < workload.queuedAt.length; i++) {
    const run = runs.taskRun[i]!;
    if (run >= 0 && !created.has(run)) created.set(run, workload.queuedAt[i]!);
  }
  const dueDags: DueDag[] = [];
  const history = new Map<string, RunWave[]>();
  runs.dagIds.forEach((dagId, dag) => {
    const scheduled = [...created.keys()]
      .filter((r) => runs.runDag[r] === dag && runs.runScheduled[r] === 1)
      .sort((a, b) => runs.runAfter[a]! - runs.runAfter[b]! || created.get(a)! - created.get(b)!);
    const next = scheduled.findIndex((r) => created.get(r)! > t);
    if (next < 0) return;
    const due = runs.runAfter[scheduled[next]!]!;
    const earlier = scheduled.slice(0, next);
    const entered = Math.max(due - prewarm.leadMs / 1000, ...earlier.map((r) => created.get(r)!));
    const waves = earlier.reverse().slice(0, prewarm.historyRuns).map((r): RunWave => {
      const byQueue = new Map<string, number>();
      for (let i = 0; i < workload.queuedAt.length; i++) {
        const at = workload.queuedAt[i]!;
        if (runs.taskRun[i] !== r || at >= created.get(r)! + FIRST_WAVE_SECONDS || at > entered) continue;
        const queue = workload.queueNames[workload.queue[i]!]!;
        byQueue.set(queue, (byQueue.get(queue) ?? 0) + 1);
      }
      return { tasks: [...byQueue].map(([queue, count]) => ({ queue, executor: null, count })) };
    });
    dueDags.push({ dagId, dueAtMs: Math.round(due * 1000) });
    history.set(dagId, waves);
  });
  return forecastTasks({ available: true, dueDags, history }, prewarm, { queues: new Set(queues), executorMatches: null }, Math.round(t * 1000)).tasks;
}

// Gaps down to well under the lead: a DAG due again before its last run is created, or while
// the last run's first wave is still being queued.
const runArbitrary = fc.record({
  gap: fc.integer({ min: 20, max: 600 }),
  delay: fc.integer({ min: 0, max: 200 }),
  // Spread and several tasks: a wave still being queued when a history is read.
  spread: fc.integer({ min: 5, max: 200 }),
  tasks: fc.integer({ min: 2, max: 8 }),
  scheduled: fc.boolean(),
  queue: fc.constantFrom('default', 'high'),
});

const workloadArbitrary = fc.record({
  dags: fc.array(fc.array(runArbitrary, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 3 }),
  loose: fc.array(fc.integer({ min: 0, max: 4000 }), { maxLength: 5 }),
});

describe('the sweep over due spells', () => {
  it('gives at every instant what the metastore replayed by brute force gives core\'s rule', () => {
    fc.assert(
      fc.property(
        workloadArbitrary,
        fc.integer({ min: 5, max: 400 }),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom(['default'], ['high'], ['default', 'high']),
        fc.array(fc.double({ min: -500, max: 4000, noNaN: true }), { minLength: 1, maxLength: 80 }),
        (spec, leadSeconds, historyRuns, queues, times) => {
          const tasks: RunTask[] = [];
          spec.dags.forEach((dagRuns, d) => {
            let due = 0;
            dagRuns.forEach((run, k) => {
              due += run.gap;
              tasks.push(...runBurst(`dag${d}`, due, run.tasks, { delay: run.delay, spread: run.spread, scheduled: run.scheduled, queue: run.queue }).map((task) => ({ ...task, run: `r${k}` })));
            });
          });
          for (const at of spec.loose) tasks.push({ at, duration: 10 });
          const workload = runWorkloadOf(tasks);
          const prewarm: PrewarmSpec = { mode: 'schedule', leadMs: leadSeconds * 1000, historyRuns };
          const forecast = new ScheduleForecast(workload, workload.runs!, prewarm, queues);
          // Every 5 s over the whole run, and instants drawn anywhere (so between two of those).
          const grid = Array.from({ length: 1000 }, (_, i) => -500 + i * 5);
          for (const t of [...grid, ...times].sort((a, b) => a - b)) {
            expect(forecast.at(t).tasks, `t=${t}`).toBe(replayedForecast(workload, prewarm, queues, t));
          }
        },
      ),
      { numRuns: 200, seed: 14 },
    );
  });
});
