import { describe, expect, it } from 'vitest';

import { defaultBehavior } from '../../../src/core/hpa-behavior.js';
import { runSimulation } from '../../../src/sim/model/simulation.js';
import { burst, simConfig, workloadOf } from './support.js';

describe('the end of a run', () => {
  // 20 workers' worth of 100 s tasks at t = 0; minReplicaCount 18. Afterwards the metric is 18
  // against 20 pods: a ratio of 0.9, within the HPA's 0.1 tolerance, so the HPA keeps 20 for ever.
  const workload = workloadOf(burst(320, 0, 100));
  const config = simConfig({ minReplicaCount: 18, maxReplicaCount: 20, initialReplicas: 18, pollingInterval: 30, cooldownPeriod: 300 });

  it('comes once nothing can change any more, even above minReplicaCount', () => {
    const result = runSimulation(workload, config, { recordLog: true });
    expect(result.log?.scale.map((s) => s.to)).toEqual([20]);
    // Work is done at 100 s; the longest wait of any loop is the 300 s cooldown or scale-down
    // window, plus one poll (30) and one sync (15): the run ends within those 345 s and a poll.
    expect(result.metrics.simulatedSeconds).toBeGreaterThanOrEqual(100 + 345);
    expect(result.metrics.simulatedSeconds).toBeLessThanOrEqual(100 + 345 + 30);
    // 20 pods for the whole run, not a week of them.
    expect(result.metrics.workerSeconds).toBeCloseTo(20 * result.metrics.simulatedSeconds, -2);
  });

  it('waits out a slow scale-down policy before it ends', () => {
    // One pod every 600 s: longer than the cooldown and the default window.
    const slow = defaultBehavior({ scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 600 }] } });
    const result = runSimulation(workloadOf(burst(320, 0, 100)), { ...config, minReplicaCount: 8, hpaBehavior: slow }, { recordLog: true });
    // The first step after the work may take 3 pods (18 at the start of the period, less 1),
    // then one per 600 s down to the floor (8/9 is outside the tolerance): the run sees every step.
    const steps = result.log?.scale ?? [];
    expect(steps.map((s) => s.to)).toEqual([20, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8]);
    for (let i = 2; i < steps.length; i++) expect(steps[i]!.time - steps[i - 1]!.time).toBeGreaterThanOrEqual(600);
  });
});
