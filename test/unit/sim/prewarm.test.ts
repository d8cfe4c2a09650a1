import { describe, expect, it } from 'vitest';

import { fixed } from '../../../src/sim/model/distribution.js';
import { runSimulation } from '../../../src/sim/model/simulation.js';
import { runBurst, runWorkloadOf, simConfig } from './support.js';

describe('a pre-warmed worker set in the simulation', () => {
  // An hourly DAG: 64 tasks of 60 s queued 1 to 11 s after each hour. Pods take 50 s to start;
  // KEDA polls every 30 s from t = 0, the HPA syncs every 15 s.
  const workload = runWorkloadOf([0, 3600, 7200].flatMap((due) => runBurst('etl', due, 64, { delay: 1, spread: 10 })));
  const config = simConfig({ podStartup: fixed(50), cooldownPeriod: 120, pollingInterval: 30 });

  it('activates from zero ahead of a run, asks for its workers, and has them ready when it starts', () => {
    const reactive = runSimulation(workload, config, { recordLog: true, recordTimeline: true });
    const prewarmed = runSimulation(workload, { ...config, prewarm: 'schedule' }, { recordLog: true, recordTimeline: true });
    // Idle at zero before the second run: the first poll in its window (3480 = 3600 − 120) is active
    // and asks for 64 / 16 = 4 workers though nothing is queued.
    const poll = (t: number) => prewarmed.log?.polls.find((p) => p.time === t);
    expect(poll(3450)).toEqual({ time: 3450, active: false, desired: 0 });
    expect(poll(3480)).toEqual({ time: 3480, active: true, desired: 4 });
    expect(prewarmed.log?.scale.find((s) => s.time === 3480)).toEqual({ time: 3480, from: 0, to: 1, cause: 'keda-activation' });
    // Reactive: nothing until the tasks come.
    expect(reactive.log?.polls.find((p) => p.time === 3480)).toEqual({ time: 3480, active: false, desired: 0 });
    const waitsFrom = (result: typeof reactive, from: number, to: number) => {
      const w = result.taskWaits!;
      return [...w.wait].filter((_, i) => w.queuedAt[i]! >= from && w.queuedAt[i]! < to);
    };
    // The first run has no history: it waits as the reactive one does. The next two do not wait at all.
    expect(Math.min(...waitsFrom(prewarmed, 0, 60))).toBeGreaterThan(0);
    expect(Math.max(...waitsFrom(prewarmed, 3600, 3660))).toBe(0);
    expect(Math.max(...waitsFrom(prewarmed, 7200, 7260))).toBe(0);
    expect(Math.min(...waitsFrom(reactive, 3600, 3660))).toBeGreaterThan(0);
  });

  it('with external-push, activates on the scaler tick the window opens', () => {
    const prewarmed = runSimulation(workload, { ...config, prewarm: 'schedule', trigger: 'external-push', prewarmLeadSeconds: 100 }, { recordLog: true });
    expect(prewarmed.log?.pushes).toContain(3500);
    expect(prewarmed.log?.scale.find((s) => s.time === 3500)).toMatchObject({ from: 0, to: 1, cause: 'keda-activation' });
  });

  it('leaves a workload without runs as it is', () => {
    const plain = runWorkloadOf(runBurst('etl', 0, 10).map(({ at, duration }) => ({ at, duration })));
    expect(plain.runs).toBeNull();
    const a = runSimulation(plain, config);
    const b = runSimulation(plain, { ...config, prewarm: 'schedule' });
    expect(b.metrics).toEqual(a.metrics);
  });
});
