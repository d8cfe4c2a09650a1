import { describe, expect, it } from 'vitest';

import { runSimulation } from '../../../src/sim/model/simulation.js';
import { simConfig, workloadOf } from './support.js';

describe('scale-in and Celery warm shutdown', () => {
  // Two workers, one busy with a 1000 s task, one idle after 10 s: the HPA removes one at
  // t = 315 (legacy 5-minute stabilization), with a 100 s grace period.
  const workload = workloadOf([
    [0, 1000],
    [0, 10],
  ]);
  const base = simConfig({ workerConcurrency: 1, minReplicaCount: 1, maxReplicaCount: 2, initialReplicas: 2, terminationGracePeriodSeconds: 100 });

  it('kills a task still running when the grace period ends; it stays running until the heartbeat timeout, then is retried', () => {
    // Some seeds pick the busy pod: the ReplicaSet's choice is not load-aware.
    const retried = { ...base, retries: 1, retryDelaySeconds: 60 };
    const killing = Array.from({ length: 20 }, (_, seed) => runSimulation(workload, { ...retried, seed })).filter(
      (result) => result.metrics.tasksKilled > 0,
    );
    expect(killing.length).toBeGreaterThan(0);
    for (const result of killing) {
      expect(result.metrics.tasksKilled).toBe(1);
      expect(result.metrics.tasksFailed).toBe(0);
      expect(result.metrics.tasks.attempts).toBe(3);
      expect(result.metrics.tasks.unfinished).toBe(0);
      // Killed at 315 + 100 = 415, found at 415 + 300, queued again 60 s later, run from the start.
      expect(result.metrics.simulatedSeconds).toBeGreaterThanOrEqual(415 + 300 + 60 + 1000);
    }
  });

  it('with rank (core planner writes pod-deletion-cost on the surplus), removes the idle worker and kills nothing', () => {
    for (let seed = 0; seed < 20; seed++) {
      const result = runSimulation(workload, { ...base, seed, scaleInPolicy: 'rank' });
      expect(result.metrics.tasksKilled).toBe(0);
    }
  });

  it('lets a draining worker finish within the grace period and gives it no new task', () => {
    // KEDA drops 1 worker to 0 while a task runs (activationThreshold hides it), grace 600 s.
    // A new task queued at t = 100 must wait for a new worker, not run on the draining one.
    const config = simConfig({
      workerConcurrency: 4,
      initialReplicas: 1,
      activationThreshold: 1,
      pollingInterval: 30,
      cooldownPeriod: 0,
      terminationGracePeriodSeconds: 600,
      podStartup: { distribution: 'fixed', seconds: 20 },
    });
    const result = runSimulation(
      workloadOf([
        [0, 200],
        [100, 10],
        [100, 10],
      ]),
      config,
      { recordLog: true },
    );
    expect(result.log?.scale.slice(0, 2)).toEqual([
      { time: 30, from: 1, to: 0, cause: 'keda-cooldown' },
      { time: 120, from: 0, to: 1, cause: 'keda-activation' },
    ]);
    expect(result.metrics.tasksKilled).toBe(0);
    // Queued at 100, activation at 120, pod ready at 140.
    expect(result.metrics.queueWaitSeconds.max).toBe(40);
  });
});
